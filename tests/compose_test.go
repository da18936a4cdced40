package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/signflow/signflow/internal/config"
)

func configVarNames() []string {
	var names []string
	for _, v := range config.Vars {
		names = append(names, v.Name)
	}
	return names
}

// No engine runs on these machines: docker-compose validates the file, and
// every variable it gives a Signflow service must be one the binary reads.
func TestComposeFileIsValidAndUsesKnownSettings(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatal("docker-compose is needed to check docker-compose.yml: apt-get install docker-compose")
	}
	cmd := exec.Command("docker-compose", "-f", "docker-compose.yml", "config")
	cmd.Dir = suite.root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	var compose struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(out, &compose))
	known := configVarNames()
	roles := map[string]bool{}
	for name, svc := range compose.Services {
		if svc.Build == nil {
			require.NotEmpty(t, svc.Healthcheck, "service %s has no health check", name)
			continue
		}
		if svc.Command[0] != "migrate" { // a one-shot job, not a service
			require.NotEmpty(t, svc.Healthcheck, "service %s has no health check", name)
		}
		roles[svc.Command[0]] = true
		for env := range svc.Environment {
			require.Contains(t, known, env, "service %s sets %s, which signflow does not read", name, env)
		}
		require.Contains(t, svc.Environment, "DATABASE_URL", name)
		require.Contains(t, svc.Environment, "TEMPORAL_ADDRESS", name)
	}
	require.Equal(t, map[string]bool{"migrate": true, "api": true, "worker": true}, roles)
}

// The README's configuration table lists exactly the variables the binary reads.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(suite.root, "README.md"))
	require.NoError(t, err)
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllSubmatch(readme, -1) {
		documented = append(documented, string(m[1]))
	}
	known := configVarNames()
	slices.Sort(documented)
	slices.Sort(known)
	require.Equal(t, known, documented)
}
