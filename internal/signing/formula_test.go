package signing

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// formulaCases are shared with the signing page's own evaluator.
type formulaCases struct {
	Values map[string]string `json:"values"`
	Cases  []struct {
		Formula string   `json:"formula"`
		Result  *float64 `json:"result"`
		Error   bool     `json:"error"`
	} `json:"cases"`
}

func TestFormulas(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/formulas.json")
	require.NoError(t, err)
	var tc formulaCases
	require.NoError(t, json.Unmarshal(data, &tc))
	value := func(name string) float64 {
		n, _ := strconv.ParseFloat(tc.Values[name], 64)
		return n
	}
	for _, c := range tc.Cases {
		f, err := parseFormula(c.Formula)
		if c.Error {
			require.Error(t, err, c.Formula)
			continue
		}
		require.NoError(t, err, c.Formula)
		got, ok := f.Eval(value)
		if c.Result == nil {
			require.False(t, ok, c.Formula)
			continue
		}
		require.True(t, ok, c.Formula)
		require.InDelta(t, *c.Result, got, 1e-9, c.Formula)
	}
}

func TestFormulasAreBounded(t *testing.T) {
	t.Parallel()
	_, err := parseFormula(strings.Repeat("(", 30) + "1" + strings.Repeat(")", 30))
	require.ErrorContains(t, err, "nests")
	_, err = parseFormula(strings.Repeat("1+", 300) + "1")
	require.ErrorContains(t, err, "characters")
	f, err := parseFormula("{a} * 1e308")
	require.Error(t, err, "no exponents: the grammar is digits and a point")
	require.Nil(t, f)
	f, err = parseFormula("{a} * 99999999999999999999 * 99999999999999999999")
	require.NoError(t, err)
	_, ok := f.Eval(func(string) float64 { return math.MaxFloat64 })
	require.False(t, ok, "an infinite result is no value")
}
