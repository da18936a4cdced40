package smtp_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/signflow/signflow/internal/notifications/smtp"
)

// plainServer is an SMTP server that offers no STARTTLS, as one stripped by
// a man in the middle would; it records whether a message reached it.
func plainServer(t *testing.T) (addr string, gotData chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	gotData = make(chan struct{}, 1)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				_, _ = conn.Write([]byte("220 plain ESMTP\r\n"))
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"):
						_, _ = conn.Write([]byte("250-plain\r\n250 8BITMIME\r\n"))
					case strings.HasPrefix(cmd, "DATA"):
						gotData <- struct{}{}
						return
					case strings.HasPrefix(cmd, "QUIT"):
						_, _ = conn.Write([]byte("221 bye\r\n"))
						return
					default:
						_, _ = conn.Write([]byte("250 OK\r\n"))
					}
				}
			}()
		}
	}()
	return l.Addr().String(), gotData
}

func TestStartTLSIsRequiredNotHopedFor(t *testing.T) {
	addr, gotData := plainServer(t)
	msg := mail.NewMsg()
	require.NoError(t, msg.From("signflow@example.com"))
	require.NoError(t, msg.To("ada@example.com"))
	msg.Subject("Your signing code for Contract")
	msg.SetBodyString(mail.TypeTextPlain, "Your code is 123456.")

	err := smtp.Client{Addr: addr, TLS: "starttls", From: "signflow@example.com"}.Send(context.Background(), msg)
	require.Error(t, err, "a server without STARTTLS gets nothing")
	select {
	case <-gotData:
		t.Fatal("the message was sent in clear")
	default:
	}
}
