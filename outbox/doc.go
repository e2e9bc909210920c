// Package outbox keeps the messages a change announces, written in the
// change's own transaction and delivered afterwards until the receiver
// accepts them. It knows neither the CRM nor Slack: a note's payload is
// opaque here, and the caller sends it.
package outbox
