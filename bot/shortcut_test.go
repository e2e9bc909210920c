package bot

import (
	"fmt"
	"testing"
)

// TestContactTerms: what the shortcut finds in a message.
func TestContactTerms(t *testing.T) {
	for text, want := range map[string]string{
		"jane@example.com / +1 555 010 2233":                               "[jane@example.com +1 555 010 2233]",
		"<mailto:Jane@Example.com|Jane@Example.com> and jane@example.com":  "[Jane@Example.com]",
		"call (555) 010-2233 or 555.010.4444 on 2026-11-30 at 10:30":       "[(555) 010-2233 555.010.4444]",
		"ids seD4PfOuKoVMLkEZqohJ and internationalization":                "[seD4PfOuKoVMLkEZqohJ]",
		"<https://crm.example/c/seD4PfOuKoVMLkEZqohJ|open> &lt;x@y.io&gt;": "[x@y.io seD4PfOuKoVMLkEZqohJ]",
		"order 1234 and <@U12345678> <!date^1795895340^{date}|today>":      "[]",
		// Names: two capitalised words in a row, after what else it finds.
		"can you delete Jane Doe please, she called from 555 010 2233": "[555 010 2233 Jane Doe]",
		"Ask Mateo García, not Sofia. ASAP Thanks":                     "[Ask Mateo Mateo García]",
		"Liam O'Brien and Zoë Ångström, Liam O'Brien, CRM Team":        "[Liam O'Brien Zoë Ångström]",
		"A B C D E F G H I J K L M N O P Q":                            "[]",
		"Ann Bo Cy Di Ed Flo Gus":                                      "[Ann Bo Bo Cy Cy Di Di Ed]",
	} {
		if got := fmt.Sprint(contactTerms(text)); got != want {
			t.Errorf("ContactTerms(%q) = %s, want %s", text, got, want)
		}
	}
}
