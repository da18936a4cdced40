// Package certificate renders the certificate of completion: pages that
// say who signed what, how, when and from where, and list the envelope's
// audit trail with its hashes, appended to a PDF with pdfcpu.
package certificate

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/signflow/signflow/internal/documents/pdf"
	"github.com/signflow/signflow/models"
)

// Data is what the certificate states.
type Data struct {
	EnvelopeID  string
	Subject     string
	Status      string
	GeneratedAt time.Time
	Documents   []Document
	Recipients  []Recipient
	Events      []Event
	// Omitted counts the events left out between the first and the last
	// MaxListedEvents/2, so that no trail, however long, makes the
	// certificate unbounded; the audit export lists every event.
	Omitted int
}

// MaxListedEvents is the most audit events a certificate lists.
const MaxListedEvents = 200

// Document is one document of the envelope with its fingerprints.
type Document struct {
	Name           string
	OriginalSHA256 string
	FinalSHA256    string // empty on the final document itself, which cannot contain its own hash
}

// Recipient is one person's part, as the audit trail recorded it.
type Recipient struct {
	Name, Email, Role, Meaning, Status string
	Authentication                     string
	TypedSignature                     string
	SignatureImage                     []byte // PNG, when drawn
	IP, UserAgent                      string
	SentAt, ViewedAt, ActedAt          *time.Time
	// Reassignments say who handed this part on, to whom, when and why.
	Reassignments []string
	// Attachments are the files they attached, each with its SHA-256.
	Attachments []string
	// Assertions are the integrators' words on who they are: which
	// client, how it authenticated them, when, from where; and the host
	// before whom they signed in person.
	Assertions []string
	// IdentityChecks are what the integrator's identity-verification
	// provider found: provider, method, reference, result, when, and which
	// client reported it.
	IdentityChecks []string
}

// Event is one line of the audit trail.
type Event struct {
	Seq   int64
	At    time.Time
	Type  string
	Actor string
	IP    string
	Hash  string
}

// Page layout on A4, in points.
var pageW, pageH = pdf.A4.Width, pdf.A4.Height

const (
	margin     = 48.0
	lineH      = 12.0
	imageLines = 4 // a drawn signature takes this many lines
	wrapAt     = 105
)

type line struct {
	text  string
	font  string
	png   []byte
	space int // lines the entry occupies
}

func stamp(text string) line   { return line{text: text, font: pdf.FontPlain, space: 1} }
func heading(text string) line { return line{text: text, font: "Helvetica-Bold", space: 1} }

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

// wrap splits long text into lines of at most wrapAt characters, never
// inside a character of a script outside ASCII.
func wrap(prefix, text string) []line {
	var out []line
	rest := []rune(text)
	for len(prefix)+len(rest) > wrapAt {
		cut := wrapAt - len(prefix)
		out = append(out, stamp(prefix+string(rest[:cut])))
		rest, prefix = rest[cut:], strings.Repeat(" ", len(prefix))
	}
	return append(out, stamp(prefix+string(rest)))
}

func lines(d Data) []line {
	ls := []line{
		heading("Certificate of completion"),
		stamp(""),
		stamp("Envelope: " + d.EnvelopeID),
	}
	ls = append(ls, wrap("Subject: ", d.Subject)...)
	ls = append(ls, stamp("Status: "+d.Status), stamp("Certificate generated: "+when(&d.GeneratedAt)), stamp(""), heading("Documents"))
	for _, doc := range d.Documents {
		ls = append(ls, wrap("", doc.Name)...)
		ls = append(ls, stamp("   original SHA-256: "+doc.OriginalSHA256))
		if doc.FinalSHA256 != "" {
			ls = append(ls, stamp("   final SHA-256:    "+doc.FinalSHA256))
		}
	}
	ls = append(ls, stamp(""), heading("Recipients"))
	for _, r := range d.Recipients {
		ls = append(ls, stamp(""), stamp(fmt.Sprintf("%s <%s>  -  %s, %s", r.Name, r.Email, r.Role, r.Status)))
		if r.Meaning != "" {
			ls = append(ls, stamp("   Meaning of signature: "+r.Meaning))
		}
		for _, text := range r.Reassignments {
			ls = append(ls, wrap("   Reassigned: ", text)...)
		}
		switch {
		case r.SignatureImage != nil:
			ls = append(ls, stamp("   Signature (drawn):"), line{png: r.SignatureImage, space: imageLines})
		case r.TypedSignature != "":
			// The label in the plain font, the signature as it was stamped.
			ls = append(ls, stamp("   Signature (typed):"), line{text: r.TypedSignature, font: pdf.FontSignature, space: 2})
		}
		for _, text := range r.Attachments {
			ls = append(ls, wrap("   Attached: ", text)...)
		}
		for _, text := range r.Assertions {
			ls = append(ls, wrap("   Identity asserted: ", text)...)
		}
		for _, text := range r.IdentityChecks {
			ls = append(ls, wrap("   Identity checked: ", text)...)
		}
		ls = append(ls,
			stamp("   Authentication: "+r.Authentication),
			stamp(fmt.Sprintf("   Sent: %s   Viewed: %s   Acted: %s", when(r.SentAt), when(r.ViewedAt), when(r.ActedAt))),
			stamp("   IP address: "+orDash(r.IP)))
		ls = append(ls, wrap("   User agent: ", orDash(r.UserAgent))...)
	}
	ls = append(ls, stamp(""), heading("Audit trail"),
		stamp("Each hash is SHA-256(previous hash || canonical JSON of the event); the first follows the envelope ID."))
	for i, e := range d.Events {
		if d.Omitted > 0 && i == len(d.Events)/2 {
			ls = append(ls, stamp(fmt.Sprintf("     ... %d events omitted here; the audit trail export lists every event.", d.Omitted)))
		}
		ls = append(ls, stamp(fmt.Sprintf("%3d  %s  %-22s %s %s", e.Seq, e.At.UTC().Format("2006-01-02 15:04:05.000"), e.Type, e.Actor, e.IP)))
		ls = append(ls, stamp("       "+e.Hash))
	}
	return ls
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// paginate assigns each line a page (from 0) and a line slot on it.
func paginate(ls []line) (pages int, placed [][2]int) {
	perPage := 62 // (pageH - 2*margin) / lineH, rounded down
	page, slot := 0, 0
	for _, l := range ls {
		if slot+l.space > perPage {
			page, slot = page+1, 0
		}
		placed = append(placed, [2]int{page, slot})
		slot += l.space
	}
	return page + 1, placed
}

// Sheets are the certificate's pages, each the stamps to draw on a new A4
// page, for pdf.Render to append to a document in the same pass as the
// document's own stamps.
func Sheets(d Data) [][]pdf.Stamp {
	ls := lines(d)
	pages, placed := paginate(ls)
	sheets := make([][]pdf.Stamp, pages)
	for i, l := range ls {
		if l.text == "" && l.png == nil {
			continue
		}
		page, slot := placed[i][0], placed[i][1]
		s := pdf.Stamp{
			Text: l.text, Font: l.font, PNG: l.png,
			X: margin / pageW, Y: (margin + float64(slot)*lineH) / pageH,
			W: (pageW - 2*margin) / pageW, H: float64(l.space) * lineH / pageH,
		}
		switch {
		case l.png != nil:
			s.X, s.W = (margin+20)/pageW, 160/pageW
		case l.font == pdf.FontSignature:
			s.X, s.W = (margin+20)/pageW, 300/pageW
		}
		sheets[page] = append(sheets[page], s)
	}
	return sheets
}

// Standalone is the certificate alone, built on doc (whose pages are the
// geometry Inspect recorded) and then trimmed to the certificate pages.
func Standalone(doc []byte, pages []models.Page, d Data) ([]byte, error) {
	out, err := pdf.Render(doc, pages, nil, Sheets(d))
	if err != nil {
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	var trimmed bytes.Buffer
	if err := api.Trim(bytes.NewReader(out), &trimmed, []string{fmt.Sprintf("%d-", len(pages)+1)}, nil); err != nil {
		return nil, fmt.Errorf("cut out certificate pages: %w", err)
	}
	return trimmed.Bytes(), nil
}
