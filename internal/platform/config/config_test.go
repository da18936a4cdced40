package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Secrets come from their variable or from the file its _FILE variable
// names, never both.
func TestSecretsFromEnvironmentOrFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "link-keys")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	for _, tc := range []struct {
		name, value, file, want, wantErr string
	}{
		{"neither", "", "", "", ""},
		{"variable", "from-env", "", "from-env", ""},
		{"mounted file, trailing newline trimmed", "", file, "from-file", ""},
		{"both", "from-env", file, "", "not both"},
		{"missing file", "", file + ".missing", "", "SIGNFLOW_LINK_KEYS_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SIGNFLOW_LINK_KEYS", tc.value)
			t.Setenv("SIGNFLOW_LINK_KEYS_FILE", tc.file)
			c, err := Load()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, c.LinkKeys)
		})
	}
}

// Every secret variable has its _FILE twin declared.
func TestEverySecretHasAFileVariable(t *testing.T) {
	for _, name := range []string{"SIGNFLOW_LINK_KEYS", "SIGNFLOW_PAYLOAD_KEYS", "SIGNFLOW_DATA_KEYS", "SIGNFLOW_SEAL_PASSWORD", "SIGNFLOW_S3_SECRET_KEY", "SIGNFLOW_SMTP_PASSWORD"} {
		require.NotPanics(t, func() { _ = Default(name + "_FILE") }, name)
	}
}

func TestSealBundleFromOneSourceOnly(t *testing.T) {
	t.Setenv("SIGNFLOW_SEAL_PKCS12", "/run/secrets/seal.p12")
	t.Setenv("SIGNFLOW_SEAL_PKCS12_BASE64", "MIIB")
	_, err := Load()
	require.ErrorContains(t, err, "not both")
}

func TestCodecOrigins(t *testing.T) {
	t.Setenv("SIGNFLOW_CODEC_ORIGINS", " https://temporal.example.com/ ,http://localhost:8233")
	c, err := Load()
	require.NoError(t, err)
	require.Equal(t, []string{"https://temporal.example.com", "http://localhost:8233"}, c.CodecOrigins)
}
