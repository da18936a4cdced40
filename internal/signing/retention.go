package signing

import "unicode/utf8"

// MaxRetentionDays is the longest retention period a policy may set (100
// years); longer is a typo, and zero already means "keep".
const MaxRetentionDays = 36500

// maxReason bounds the reason of a legal hold or an erasure.
const maxReason = 500

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

// CheckReason checks the reason given for a legal hold or an erasure:
// why says what it explains.
func CheckReason(reason, why string) FieldErrors {
	var errs FieldErrors
	if n := utf8.RuneCountInString(reason); n == 0 || n > maxReason {
		errs.Add("reason", "say why %s, in 1 to %d characters", why, maxReason)
	}
	return errs
}
