package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signflow/signflow/internal/keys/accesstoken"
	"github.com/signflow/signflow/internal/platform/config"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
)

func clientsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage the OAuth 2.0 clients integrators call the API with"}
	var tenant, name string
	var scopes []string
	var operator bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a client; its secret is printed once",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, store *database.Store, cmd *cobra.Command) error {
			for _, s := range scopes {
				if !slices.Contains(models.Scopes, s) {
					return fmt.Errorf("unknown scope %q; choose from %s", s, strings.Join(models.Scopes, ", "))
				}
			}
			switch {
			case operator && tenant != "":
				return errors.New("an --operator client belongs to no tenant; leave out --tenant")
			case operator && !cmd.Flags().Changed("scopes"):
				scopes = models.OperatorScopes
			case operator:
				for _, s := range scopes {
					if !slices.Contains(models.OperatorScopes, s) {
						return fmt.Errorf("an operator client may hold only %s", strings.Join(models.OperatorScopes, ", "))
					}
				}
			case tenant == "":
				return errors.New("--tenant is required (or --operator for an operator's client)")
			}
			c, secret := accesstoken.NewClient(tenant, name, scopes, time.Now().UTC())
			if err := store.CreateClient(ctx, c); err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"client_id": c.ID, "client_secret": secret,
				"tenant": c.TenantID, "scopes": c.Scopes, "note": "the secret is shown only now; store it safely"})
		}),
	}
	create.Flags().StringVar(&tenant, "tenant", "", "tenant the client acts for (required)")
	create.Flags().StringVar(&name, "name", "", "a name to recognise the client by")
	create.Flags().StringSliceVar(&scopes, "scopes", models.DefaultScopes,
		"scopes granted, comma-separated, from "+strings.Join(models.Scopes, ", "))
	create.Flags().BoolVar(&operator, "operator", false,
		"an operator's client, of no tenant: it decodes Temporal's payloads for the Web UI and reads no tenant's data")

	list := &cobra.Command{
		Use:   "list",
		Short: "List clients (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: withStore(func(ctx context.Context, store *database.Store, cmd *cobra.Command) error {
			cs, err := store.ListClients(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CLIENT ID\tTENANT\tNAME\tSCOPES\tCREATED\tREVOKED")
			for _, c := range cs {
				revoked := "-"
				if c.RevokedAt != nil {
					revoked = c.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.TenantID, c.Name, strings.Join(c.Scopes, " "),
					c.CreatedAt.UTC().Format(time.RFC3339), revoked)
			}
			return w.Flush()
		}),
	}
	revoke := &cobra.Command{
		Use:   "revoke CLIENT_ID",
		Short: "Revoke a client: its tokens are refused from the next request",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(ctx context.Context, store *database.Store, cmd *cobra.Command) error {
			id := cmd.Flags().Arg(0)
			if err := store.RevokeClient(ctx, id, time.Now().UTC()); err != nil {
				if errors.Is(err, models.ErrNotFound) {
					return fmt.Errorf("no client %s", id)
				}
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "revoked", id)
			return nil
		}),
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// withStore runs a clients subcommand on a migrated database.
func withStore(run func(context.Context, *database.Store, *cobra.Command) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		a := &app{cfg: cfg, log: newLogger(cfg.LogLevel)}
		store, err := a.openStore(true)
		if err != nil {
			return err
		}
		defer store.Close()
		return run(cmd.Context(), store, cmd)
	}
}

// DevClientFile holds the development client's credentials, so that the
// README walkthrough and a newcomer can get a token without a setup step.
const DevClientFile = "dev-client.json"

type devClient struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Tenant       string `json:"tenant"`
}

// ensureDevClient gives `signflow dev` a client of the default tenant with
// every scope, reusing the one it made before while it is still valid.
func (a *app) ensureDevClient(ctx context.Context, store *database.Store) (devClient, error) {
	path := filepath.Join(a.cfg.DataDir, DevClientFile)
	var dc devClient
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if json.Unmarshal(data, &dc) == nil {
			if c, err := store.GetClient(ctx, dc.ClientID); err == nil && c.RevokedAt == nil && accesstoken.SecretMatches(c, dc.ClientSecret) {
				return dc, nil
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return dc, fmt.Errorf("read %s: %w", path, err)
	}
	c, secret := accesstoken.NewClient(models.DefaultTenantID, "dev", models.Scopes, time.Now().UTC())
	if err := store.CreateClient(ctx, c); err != nil {
		return dc, err
	}
	dc = devClient{ClientID: c.ID, ClientSecret: secret, Tenant: c.TenantID}
	data, _ = json.MarshalIndent(dc, "", "  ")
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return dc, fmt.Errorf("write %s: %w", path, err)
	}
	return dc, nil
}
