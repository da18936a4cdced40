package signing

import (
	"fmt"

	"github.com/signflow/signflow/internal/documents/typeset"
)

// CheckPrintable refuses text that the signed document would print
// (names, values, the subject) when it holds a character none of the
// project's fonts can draw: it would otherwise be stamped as an empty box.
func CheckPrintable(errs *FieldErrors, field, text string) {
	if msg := unprintable(text); msg != "" {
		errs.Add(field, "%s", msg)
	}
}

func unprintable(text string) string {
	if r, bad := typeset.Unprintable(text, typeset.Plain); bad {
		return fmt.Sprintf("%q (U+%04X) cannot be printed in the signed document; write the text without it", string(r), r)
	}
	return ""
}
