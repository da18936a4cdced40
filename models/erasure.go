package models

import (
	"errors"
)

// ErrStillOpen refuses to erase a recipient of an envelope in progress:
// it must end (void it) first.
var ErrStillOpen = errors.New("the envelope is still in progress")

// ErasedName stands for an erased recipient's name.
const ErasedName = "[erased]"

// ErasedEmail stands for an erased recipient's email address: unique per
// recipient, never deliverable (.invalid, RFC 2606).
func ErasedEmail(recipientID string) string { return "erased-" + recipientID + "@erased.invalid" }
