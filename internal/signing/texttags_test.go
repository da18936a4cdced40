package signing

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

func TestTagField(t *testing.T) {
	page := models.Page{Width: 600, Height: 800}
	at := models.Box{Page: 2, X: 0.1, Y: 0.5, Width: 0.2, Height: 0.01}
	cases := []struct {
		tag, typ, name, problem string
		recipient               int
		w, h                    float64 // in points
		required                *bool
	}{
		{tag: "{{signature:1}}", typ: models.FieldSignature, w: 160, h: 36},
		{tag: "{{date:2}}", typ: models.FieldDateSigned, recipient: 1, w: 90, h: 14},
		{tag: "{{text:1:optional:name=company:w=120:h=20}}", typ: models.FieldText, name: "company", w: 120, h: 20, required: new(bool)},
		{tag: "{{ checkbox : 3 : required }}", typ: models.FieldCheckbox, recipient: 2, w: 12, h: 12, required: func() *bool { b := true; return &b }()},
		{tag: "{{sign:1}}", problem: "the type is one of"},
		{tag: "{{signature}}", problem: "{{type:recipient}}"},
		{tag: "{{signature:0}}", problem: "from 1"},
		{tag: "{{text:1:w=-3}}", problem: "w= takes"},
		{tag: "{{text:1:colour=red}}", problem: "not an option"},
	}
	for _, tc := range cases {
		t.Run(tc.tag, func(t *testing.T) {
			f, problem := tagField(pdf.TextTag{Text: tc.tag, Box: at}, page)
			if tc.problem != "" {
				require.Contains(t, problem, tc.problem)
				return
			}
			require.Empty(t, problem)
			require.Equal(t, tc.typ, f.Type)
			require.Equal(t, tc.recipient, *f.Recipient)
			require.Equal(t, 2, f.Page)
			require.Equal(t, tc.name, f.Name)
			require.Equal(t, tc.required, f.Required)
			require.InDelta(t, 0.1, *f.X, 1e-9, "the box starts at the tag")
			require.InDelta(t, tc.w/600, *f.Width, 1e-9)
			require.InDelta(t, tc.h/800, *f.Height, 1e-9)
		})
	}
	t.Run("a box kept on its page", func(t *testing.T) {
		f, _ := tagField(pdf.TextTag{Text: "{{signature:1}}", Box: models.Box{Page: 1, X: 0.95, Y: 0.99, Width: 0.04, Height: 0.01}}, page)
		require.LessOrEqual(t, *f.X+*f.Width, 1.0)
		require.LessOrEqual(t, *f.Y+*f.Height, 1.0)
	})
}
