package verification

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIdentityCheckNamesWhatIsWrong(t *testing.T) {
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	valid := func() IdentityCheck {
		return IdentityCheck{Provider: " Onfido ", Method: "document+selfie", Reference: "chk_123", Result: "passed"}
	}
	tests := []struct {
		name   string
		change func(*IdentityCheck)
		field  string
	}{
		{"valid, trimmed", func(*IdentityCheck) {}, ""},
		{"failed is a result too", func(c *IdentityCheck) { c.Result = "failed" }, ""},
		{"no provider", func(c *IdentityCheck) { c.Provider = "  " }, "provider"},
		{"method too long", func(c *IdentityCheck) { c.Method = string(make([]byte, 201)) }, "method"},
		{"no reference", func(c *IdentityCheck) { c.Reference = "" }, "reference"},
		{"a character the certificate cannot print", func(c *IdentityCheck) { c.Reference = "chk \U0001F600" }, "reference"},
		{"a control character", func(c *IdentityCheck) { c.Method = "document\nselfie" }, "method"},
		{"a result that is neither", func(c *IdentityCheck) { c.Result = "maybe" }, "result"},
		{"checked in the future", func(c *IdentityCheck) { c.CheckedAt = &later }, "checked_at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.change(&c)
			errs := c.Check(now)
			if tc.field == "" {
				require.Empty(t, errs)
				require.Equal(t, "Onfido", c.Provider)
				return
			}
			require.NotEmpty(t, errs)
			require.Equal(t, tc.field, errs[0].Field, "%v", errs)
		})
	}
}
