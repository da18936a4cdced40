// Package smtp delivers email over SMTP with go-mail: notifications
// from the worker, one-time codes from the API.
package smtp

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// Client sends mail through one SMTP server.
type Client struct {
	Addr     string // host:port
	Username string
	Password string
	From     string
	TLS      string // "none", "starttls" (required) or "tls" (implicit)
}

// Send delivers one message.
func (m Client) Send(ctx context.Context, msg *mail.Msg) error {
	host, portText, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("SMTP address %q: %w", m.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("SMTP port %q: %w", portText, err)
	}
	opts := []mail.Option{mail.WithTimeout(20 * time.Second)}
	switch m.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithSSL())
	default:
		// Required, not opportunistic: a server (or a man in the middle)
		// that offers no STARTTLS does not get codes and links in clear.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(m.Username), mail.WithPassword(m.Password))
	}
	opts = append(opts, mail.WithPort(port)) // last: TLS options set their own default port
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	return client.DialAndSendWithContext(ctx, msg)
}
