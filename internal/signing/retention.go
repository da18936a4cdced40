package signing

import "unicode/utf8"

// MaxRetentionDays is the longest retention period a policy may set (100
// years); longer is a typo, and zero already means "keep".
const MaxRetentionDays = 36500

// maxHoldReason bounds a legal hold's reason.
const maxHoldReason = 500

// CheckRetentionPolicy checks a policy's periods: whole days from 0 (keep
// the documents) to MaxRetentionDays.
func CheckRetentionPolicy(completedDays, otherDays int) FieldErrors {
	var errs FieldErrors
	for _, p := range []struct {
		field string
		days  int
	}{{"completed_documents_days", completedDays}, {"other_documents_days", otherDays}} {
		if p.days < 0 || p.days > MaxRetentionDays {
			errs.Add(p.field, "give whole days from 0 (keep the documents) to %d", MaxRetentionDays)
		}
	}
	return errs
}

// CheckHoldReason checks the reason a legal hold is placed for.
func CheckHoldReason(reason string) FieldErrors {
	var errs FieldErrors
	if n := utf8.RuneCountInString(reason); n == 0 || n > maxHoldReason {
		errs.Add("reason", "say why the envelope is held, in 1 to %d characters", maxHoldReason)
	}
	return errs
}
