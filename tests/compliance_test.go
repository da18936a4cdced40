package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs/compliance.md maps each control to the tests that prove it: every
// test it names exists, and no control's row is missing.
func TestComplianceMatrixNamesRealTests(t *testing.T) {
	t.Parallel()
	matrix, err := os.ReadFile(filepath.Join(suite.root, "docs", "compliance.md"))
	require.NoError(t, err)
	declared := map[string]bool{}
	err = filepath.WalkDir(suite.root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || d.Name() == ".data" || strings.HasPrefix(d.Name(), ".git")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllSubmatch(src, -1) {
				declared[string(m[1])] = true
			}
		}
		return nil
	})
	require.NoError(t, err)
	named := regexp.MustCompile("`(Test\\w+)`").FindAllSubmatch(matrix, -1)
	require.NotEmpty(t, named)
	for _, m := range named {
		require.True(t, declared[string(m[1])], "docs/compliance.md names %s, which is no test", m[1])
	}
	for _, control := range []string{"11.10(a)", "11.10(b)", "11.10(c)", "11.10(d)", "11.10(e)", "11.10(f)", "11.10(g)", "11.10(h)",
		"11.10(i)", "11.10(j)", "11.10(k)", "11.50", "11.70", "11.100", "11.200", "11.300",
		"| (a) access control", "| (b) audit controls", "| (c) integrity", "| (d) person or entity authentication", "| (e) transmission security",
		"| 5 ", "| 15 ", "| 17 ", "| 25 ", "| 30 ", "| 32 "} {
		require.Contains(t, string(matrix), control, "docs/compliance.md has a row for %s", control)
	}
}
