package crm

import "contactbot/internal/words"

// Labels: the words people read for the codes the CRM keeps. They are the
// domain's vocabulary, not Slack's: crm writes them into audit details
// (which the audit channel, /contact history and exports show as stored),
// and the bot uses the same words in its messages.

// channelLabels name the DND channels as Leadgains shows them.
var channelLabels = map[string]string{
	"sms": "SMS", "email": "Email", "call": "Calls", "whatsapp": "WhatsApp", "gmb": "Google Business", "fb": "Facebook",
}

// ChannelLabel names a DND channel ("gmb" is "Google Business"); a channel
// it does not know is shown as it is.
func ChannelLabel(ch string) string {
	if l, ok := channelLabels[ch]; ok {
		return l
	}
	return ch
}

// DNDStatusLabel says a DND status in words: "on", "on (STOP reply,
// permanent)", "off"; "" (the contact has no row for the channel) is "not
// set".
func DNDStatusLabel(status string) string {
	switch status {
	case DNDActive:
		return "on"
	case DNDPermanent:
		return "on (STOP reply, permanent)"
	case DNDInactive:
		return "off"
	case "":
		return "not set"
	}
	return spaced(status)
}

// WorkflowStatusLabel words a workflow enrollment's status: an active one
// is "running".
func WorkflowStatusLabel(status string) string {
	switch status {
	case "active":
		return "running"
	case "finished", "stopped":
		return status
	}
	return spaced(status)
}

// spaced shows a code it has no word for with spaces for underscores.
func spaced(code string) string { return words.Spaced(code) }
