package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signflow/signflow/models"
	"github.com/stretchr/testify/require"
)

var linkInMail = regexp.MustCompile(`http://\S+/sign/[A-Za-z0-9_-]+`)

// apiLink is the recipient API behind a signing page's link.
func apiLink(pageURL string) string {
	return strings.Replace(pageURL, "/sign/", "/v1/signing/", 1)
}

// linkFromMail is the recipient API behind the link in an email.
func linkFromMail(t *testing.T, mailAPI, id string) string {
	t.Helper()
	link := linkInMail.FindString(readMail(t, mailAPI, id).Text)
	require.NotEmpty(t, link, "the email carries a signing link")
	return apiLink(link)
}

// unique makes addresses no other test uses, so searches see only this test's mail.
func unique(name string) string {
	return fmt.Sprintf("%s-%d@example.com", name, time.Now().UnixNano())
}

func emailEnvelope(t *testing.T, base string, signers []string, cc string, settings J) string {
	t.Helper()
	var recipients, fields []J
	for i, email := range signers {
		recipients = append(recipients, withCode(J{"name": "Signer " + fmt.Sprint(i+1), "email": email, "role": "signer", "routing_order": i + 1}))
		fields = append(fields, fieldAt(i, "signature", 1, box{0.1, 0.1 + 0.1*float64(i), 0.3, 0.05}))
	}
	if cc != "" {
		recipients = append(recipients, J{"name": "Copy", "email": cc, "role": "cc"})
	}
	spec := jsonEnvelope(t, recipients, fields)
	spec["message"] = "Please sign by Friday."
	if settings != nil {
		spec["settings"] = settings
	}
	status, created := postJSON(t, base+"/v1/envelopes", spec)
	require.Equal(t, http.StatusCreated, status, "%v", created)
	return str(created, "id")
}

// signFromMail follows the link in the recipient's invitation and signs.
func signFromMail(t *testing.T, email string) {
	t.Helper()
	invitation := awaitMail(t, suite.mailAPI, "to:"+email+` subject:"Please sign"`, 1, time.Minute)[0]
	require.Contains(t, invitation.Subject, "Consulting agreement")
	body := readMail(t, suite.mailAPI, invitation.ID)
	require.Contains(t, body.Text, "Please sign by Friday.")
	link := linkInMail.FindString(body.Text)
	require.NotEmpty(t, link, "the invitation carries the signing link:\n%s", body.Text)
	status, res := signAs(t, apiLink(link), "Typed Name")
	require.Equal(t, http.StatusOK, status, "%v", res)
}

func TestInvitationsAndCompletedCopiesArriveByEmail(t *testing.T) {
	t.Parallel()
	first, second, cc := unique("first"), unique("second"), unique("copy")
	id := emailEnvelope(t, suite.apiURL, []string{first, second}, cc, nil)

	signFromMail(t, first)
	signFromMail(t, second) // invited only once the first has signed
	awaitWorkflow(t, id)

	for _, to := range []string{first, second, cc} {
		copies := awaitMail(t, suite.mailAPI, "to:"+to+` subject:"Completed"`, 1, time.Minute)
		m := readMail(t, suite.mailAPI, copies[0].ID)
		require.Len(t, m.Attachments, 1, "the completed PDF is attached for %s", to)
		require.Equal(t, "contract-signed.pdf", m.Attachments[0].FileName)
		require.NotContains(t, m.Text, first+" ", "no other recipient's address is disclosed")
	}
	require.Empty(t, searchMail(t, suite.mailAPI, "to:"+cc+` subject:"Please sign"`), "a cc is never asked to sign")
	requireEachMessageOnce(t, first, second, cc)
}

func TestRemindersArriveOnAShortInterval(t *testing.T) {
	t.Parallel()
	signer := unique("slow")
	emailEnvelope(t, suite.apiURL, []string{signer}, "", J{"reminder_interval": "1m", "reminder_count": 1, "expires_in": "1h"})
	awaitMail(t, suite.mailAPI, "to:"+signer+` subject:"Please sign"`, 1, time.Minute)
	reminder := awaitMail(t, suite.mailAPI, "to:"+signer+` subject:"Reminder"`, 1, 2*time.Minute)[0]
	require.NotEmpty(t, linkInMail.FindString(readMail(t, suite.mailAPI, reminder.ID).Text))
}

func TestSMTPOutageDelaysMailButLosesNone(t *testing.T) {
	t.Parallel()
	const queue = "signflow-smtp-outage"
	smtpAddr, httpAddr := freePort(), freePort() // nothing listens there yet
	d := suite.deps
	d.Mail = testSMTP(smtpAddr)
	startWorker(t, d, testSettings(queue))
	base := newAPI(t, queue)
	first, cc := unique("outage"), unique("outage-copy")
	id := emailEnvelope(t, base, []string{first}, cc, nil)

	// Wait until the outbox has tried the invitation at least twice: the
	// server is down, and the row waits, unsent, for the next attempt.
	require.Eventually(t, func() bool {
		rows, err := suite.deps.Store.Notifications(context.Background(), id)
		require.NoError(t, err)
		for _, n := range rows {
			if n.Kind == models.NotifyInvitation && n.Attempts >= 2 {
				require.Nil(t, n.SentAt)
				require.NotNil(t, n.NextAttemptAt, "backing off")
				return true
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond)

	// The server comes back.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "mailpit.log"))
	require.NoError(t, err)
	cmd := mailpitCommand(filepath.Join(suite.root, "bin", "mailpit"), smtpAddr, httpAddr, t.TempDir())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	require.NoError(t, awaitListening(httpAddr))
	mailAPI := "http://" + httpAddr

	invitation := awaitMail(t, mailAPI, "to:"+first, 1, time.Minute)[0]
	link := linkFromMail(t, mailAPI, invitation.ID)
	link = strings.Replace(link, suite.apiURL, base, 1) // this test's API serves this queue's envelopes
	status, res := signAs(t, link, "After Outage")
	require.Equal(t, http.StatusOK, status, "%v", res)
	awaitWorkflow(t, id)
	awaitMail(t, mailAPI, "to:"+first+` subject:"Completed"`, 1, time.Minute)
	awaitMail(t, mailAPI, "to:"+cc+` subject:"Completed"`, 1, time.Minute)
	// Exactly once each: one invitation, one copy per person.
	require.Len(t, searchMail(t, mailAPI, "to:"+first), 2)
	require.Len(t, searchMail(t, mailAPI, "to:"+cc), 1)
}

// requireEachMessageOnce checks no Message-ID reached Mailpit twice.
func requireEachMessageOnce(t *testing.T, addresses ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range addresses {
		for _, m := range searchMail(t, suite.mailAPI, "to:"+a) {
			require.False(t, seen[m.MessageID], "message %s delivered twice", m.MessageID)
			seen[m.MessageID] = true
		}
	}
}
