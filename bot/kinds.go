package bot

import (
	"fmt"

	"contactbot/crm"
)

// kindWords are the words for one kind of request and deletion (crm.Kind):
// every message that names what a delete, a merge or an erasure does reads
// them here, so each is spelled once.
type kindWords struct {
	verb string // what it does: "delete"
	done string // what was done: "deleted"
	noun string // the act: "delete", "erasure" ("approved the erasure of")
	// record is what a report calls its deletion record: "deletion", "merge".
	record string
	// request titles its request in the approvals channel: "Delete request".
	request string
	// asked says in the request's post what the requester asks, a format
	// of the requester, the contact and (a merge) the contact that stays.
	asked string
	// listed is the request in its requester's list (`/contact deletions`),
	// a format of the contact, the contact it merges into and the reason.
	listed string
	// removes heads what the request's post lists; removesNow what a held
	// approve lists, the contact as it is now.
	removes, removesNow string
	// merges: the contact's rows move into another contact, which the
	// request names ("into …") and whose post lists what moves.
	merges bool
	// aside follows what a request asks, in parentheses: "privacy erasure".
	aside string
	// restore is what an admin's restore does, as a reporter is told;
	// restoreButton what the incident's Restore button does. An erasure
	// has neither: nothing was archived, and a report of one is refused.
	restore, restoreButton string
	// optedOutIn is where an opt-out the database re-applied was kept from.
	optedOutIn string
}

// kinds holds the words of each kind; wordsOf reads them.
var kinds = map[crm.Kind]kindWords{
	crm.KindDelete: {
		verb: "delete", done: "deleted", noun: "delete", record: "deletion",
		request: "Delete request",
		asked:   "%[1]s asks to delete %[2]s",
		listed:  "%[1]s · %[3]s",
		removes: "*Deleting removes:*", removesNow: "*Deleting it now removes:*",
		restore:       "restore every row",
		restoreButton: "Admins only. Restore puts back every archived row (contact, DND, conversations and messages, notes, opportunities, tasks, appointments, workflows) with the same ids and values, in one transaction.",
		optedOutIn:    "a deleted contact",
	},
	crm.KindMerge: {
		verb: "merge", done: "merged", noun: "merge", record: "merge",
		request: "Merge request",
		asked:   "%[1]s asks to merge the duplicate %[2]s into %[3]s, the contact that stays",
		listed:  "Merge %[1]s into `%[2]s` · %[3]s",
		removes: "*Moves to the contact that stays:*", removesNow: "*Merging it now moves:*",
		merges:        true,
		restore:       "put both contacts back, row for row,",
		restoreButton: "Admins only. Restore puts the duplicate back and moves every row the merge moved back to it, and returns the contact it was merged into to its fields and DND before the merge, in one transaction.",
		optedOutIn:    "a merged duplicate",
	},
	crm.KindErasure: {
		verb: "erase", done: "erased", noun: "erasure", record: "deletion",
		request: "Erasure request",
		asked:   "%[1]s asks to *erase* %[2]s (privacy erasure). *This cannot be restored.*",
		listed:  "Privacy erasure of %[1]s · *cannot be restored*",
		removes: "*Erasing removes, with no archive:*", removesNow: "*Erasing it now removes, with no archive:*",
		aside:      "privacy erasure",
		optedOutIn: "a privacy erasure",
	},
	crm.KindBatch: {
		verb: "delete", done: "deleted", noun: "clean-up", record: "batch",
		request: "Clean-up request",
		asked:   "%[1]s asks to delete %[2]s",
		listed:  "%[1]s · %[3]s",
		removes: "*Deleting removes:*", removesNow: "*Deleting them now removes:*",
		restore:       "restore every contact of the batch, row for row,",
		restoreButton: "Admins only. Restore all puts back every contact of the batch and every archived row of each (DND, conversations and messages, notes, opportunities, tasks, appointments, workflows) with the same ids and values, in one transaction. One contact alone: `/contact restore` with its deletion id.",
		optedOutIn:    "a deleted contact",
	},
}

// deletionWords is the words of a deletion record: a batch's own record
// speaks of the batch.
func deletionWords(d crm.Deletion) kindWords {
	if d.IsBatch() {
		return wordsOf(crm.KindBatch)
	}
	return wordsOf(d.Kind)
}

// wordsOf is the words of kind k; a kind it does not know, and the empty
// kind of requests from before merges and erasures, are a delete's.
func wordsOf(k crm.Kind) kindWords {
	if w, ok := kinds[k]; ok {
		return w
	}
	return kinds[crm.KindDelete]
}

// asks says what a request of this kind asks, the contact named by who
// and, for a merge, the one it merges into by into: "delete who", "merge
// who into into", "erase who (privacy erasure)".
func (w kindWords) asks(who, into string) string {
	s := w.verb + " " + who
	if w.merges {
		s += " into " + into
	}
	if w.aside != "" {
		s += " (" + w.aside + ")"
	}
	return s
}

// reportWrong is the button, and the window's title, that reports a
// deletion of this kind as wrong: "Report wrong merge".
func (w kindWords) reportWrong() string { return "Report wrong " + w.record }

// requestWhat says what a request asks, e.g. "merge *Jane Doe* · … into
// *Jane Doe* · …"; original is the contact a merge keeps, when known.
func requestWhat(a crm.Approval, c crm.Contact, original *crm.Contact) string {
	into := "`" + esc(a.Summary.MergeInto) + "`"
	if original != nil {
		into = contactLine(*original)
	}
	return wordsOf(a.Kind()).asks(contactLine(c), into)
}

// requestAsks says what a request asks, for the admins' nudges in its
// thread: "delete *Jane Doe* (`…`)", "merge … into `…`", "erase … (privacy
// erasure)".
func requestAsks(a crm.Approval) string { return requestAsksRef(a, "") }

// requestAsksRef is requestAsks with ref added to the contact's
// parenthesis: "delete *Jane Doe* (`…`, request `R…`)".
func requestAsksRef(a crm.Approval, ref string) string {
	if a.Kind() == crm.KindBatch {
		return "delete " + batchAsked(a, ref)
	}
	return wordsOf(a.Kind()).asks(fmt.Sprintf("*%s* (`%s`%s)", esc(a.ContactLabel), esc(a.ContactID), ref), "`"+esc(a.Summary.MergeInto)+"`")
}

// requestAsksRequester is requestAsks for the requester's own answers and
// DMs, which outlive an erasure: an erasure names the contact by id only.
func requestAsksRequester(a crm.Approval) string { return requesterAsksRef(a, "") }

// requesterAsksRef is requestAsksRequester with ref added to the
// parenthesis: "erase contact `…` (privacy erasure, request `R…`)".
func requesterAsksRef(a crm.Approval, ref string) string {
	if a.Kind() == crm.KindErasure {
		w := wordsOf(a.Kind())
		return fmt.Sprintf("%s contact `%s` (%s%s)", w.verb, esc(a.ContactID), w.aside, ref)
	}
	return requestAsksRef(a, ref)
}
