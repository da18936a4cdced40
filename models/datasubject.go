package models

// SubjectEnvelope is one envelope as it concerns one person: the
// recipients that are them, the slots they held before a reassign or a
// correction, their fields, the events they caused or that concern them,
// and the messages sent to them.
type SubjectEnvelope struct {
	Envelope         Envelope
	Recipients       []Recipient
	FormerIdentities []FormerIdentity
	Fields           []Field
	Events           []Event
	Notifications    []QueuedNotification
}
