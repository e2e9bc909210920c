package outbox

import "testing"

// TestRefStoredForm: a Ref is stored as "kind:id", as refs always were, and
// reads back the same; the zero Ref is stored as nothing.
func TestRefStoredForm(t *testing.T) {
	for ref, stored := range map[Ref]string{
		ApprovalRef("R1"):           "approval:R1",
		RequestDMRef("R1"):          "request-dm:R1",
		IncidentRef("D1"):           "incident:D1",
		OperationRef("O1"):          "op:O1",
		ReviewRef("V1"):             "review:V1",
		SuppressionRemovalRef("S1"): "suppression-removal:S1",
		{}:                          "",
	} {
		if got := ref.String(); got != stored {
			t.Errorf("%#v is stored as %q, want %q", ref, got, stored)
		}
		if v, err := ref.Value(); err != nil || v != stored {
			t.Errorf("%#v as an SQL argument = %v, %v; want %q", ref, v, err, stored)
		}
		if back := parseRef(stored); back != ref {
			t.Errorf("%q reads back as %#v, want %#v", stored, back, ref)
		}
	}
}

// TestSignal: Notify calls the listener of the moment, and nothing before
// anyone listens.
func TestSignal(t *testing.T) {
	var s Signal
	s.Notify() // nobody listens: nothing happens
	n := 0
	s.Listen(func() { n++ })
	s.Notify()
	s.Notify()
	if n != 2 {
		t.Errorf("the listener was called %d times, want 2", n)
	}
	s.Listen(nil)
	s.Notify()
	if n != 2 {
		t.Errorf("a listener that left was called")
	}
}
