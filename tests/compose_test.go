package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/signflow/signflow/internal/platform/config"
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
	config := func(env ...string) ([]byte, error) {
		cmd := exec.Command("docker-compose", "-f", "docker-compose.yml", "config")
		cmd.Dir = suite.root
		cmd.Env = append(os.Environ(), env...)
		return cmd.CombinedOutput()
	}
	// No password is committed: without the operator's, compose refuses.
	for _, secret := range []string{"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"} {
		env := []string{"POSTGRES_PASSWORD=", "MINIO_ROOT_PASSWORD="}
		if secret == "POSTGRES_PASSWORD" {
			env[1] = "MINIO_ROOT_PASSWORD=m1n10-test-secret"
		} else {
			env[0] = "POSTGRES_PASSWORD=pg-test-secret"
		}
		out, err := config(env...)
		require.Error(t, err, "compose starts without %s: %s", secret, out)
		require.Contains(t, string(out), "set "+secret)
	}
	out, err := config("POSTGRES_PASSWORD=pg-test-secret", "MINIO_ROOT_PASSWORD=m1n10-test-secret")
	require.NoError(t, err, "%s", out)
	raw, err := os.ReadFile(filepath.Join(suite.root, "docker-compose.yml"))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "signflow-minio-secret", "no password in the file")

	var compose struct {
		Services map[string]struct {
			Ports       []any                        `yaml:"ports"`
			Build       any                          `yaml:"build"`
			Command     []string                     `yaml:"command"`
			Environment map[string]string            `yaml:"environment"`
			Healthcheck map[string]any               `yaml:"healthcheck"`
			DependsOn   map[string]map[string]string `yaml:"depends_on"`
			Volumes     []string                     `yaml:"volumes"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(out, &compose))
	// A one-shot job is one the others wait to complete; it needs no
	// health check.
	oneShot := map[string]bool{}
	for _, svc := range compose.Services {
		for dep, cond := range svc.DependsOn {
			if cond["condition"] == "service_completed_successfully" {
				oneShot[dep] = true
			}
		}
	}
	// Only the API is published beyond the host; every console is on
	// loopback.
	for name, svc := range compose.Services {
		for _, p := range svc.Ports {
			short, isString := p.(string)
			if name == "api" {
				continue
			}
			require.True(t, isString && strings.HasPrefix(short, "127.0.0.1:"), "service %s publishes %v beyond this host", name, p)
		}
	}
	known := configVarNames()
	roles := map[string]bool{}
	for name, svc := range compose.Services {
		if !oneShot[name] {
			require.NotEmpty(t, svc.Healthcheck, "service %s has no health check", name)
		}
		if svc.Build == nil {
			continue
		}
		roles[svc.Command[0]] = true
		for env := range svc.Environment {
			require.Contains(t, known, env, "service %s sets %s, which signflow does not read", name, env)
		}
		require.Contains(t, svc.Environment, "DATABASE_URL", name)
		require.Contains(t, svc.Environment, "TEMPORAL_ADDRESS", name)
		require.Contains(t, svc.Environment, "SIGNFLOW_BLOB_URL", "%s keeps documents in the object store", name)
	}
	require.Equal(t, map[string]bool{"migrate": true, "api": true, "worker": true}, roles)
	require.Contains(t, compose.Services, "minio")
	require.Contains(t, compose.Services, "jaeger")
	require.Equal(t, "http://localhost:8080/codec", compose.Services["temporal-ui"].Environment["TEMPORAL_CODEC_ENDPOINT"])

	// Prometheus scrapes both services on their metrics port, and its
	// files are in the repository.
	for _, v := range compose.Services["prometheus"].Volumes {
		file := strings.SplitN(v, ":", 2)[0]
		_, err := os.Stat(file)
		require.NoError(t, err, "prometheus mounts %s", file)
	}
	scrape, err := os.ReadFile(filepath.Join(suite.root, "deploy", "prometheus.yml"))
	require.NoError(t, err)
	var prom struct {
		ScrapeConfigs []struct {
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(scrape, &prom))
	targets := map[string]int{}
	for _, sc := range prom.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				targets[n] = d.Port
			}
		}
	}
	port := func(svc string) int {
		addr := compose.Services[svc].Environment["SIGNFLOW_METRICS_ADDR"]
		p, err := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
		require.NoError(t, err, "%s: SIGNFLOW_METRICS_ADDR %q", svc, addr)
		return p
	}
	require.Equal(t, map[string]int{"api": port("api"), "worker": port("worker")}, targets)
}

// docs/configuration.md lists exactly the variables the binary reads.
func TestTheDocsDocumentEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(suite.root, "docs", "configuration.md"))
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
