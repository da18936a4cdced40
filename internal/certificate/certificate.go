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
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signflow/signflow/internal/pdf"
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
const (
	pageW, pageH = 595.28, 841.89
	margin       = 48.0
	lineH        = 12.0
	imageLines   = 4 // a drawn signature takes this many lines
	wrapAt       = 105
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

// wrap splits long text into lines of at most wrapAt characters.
func wrap(prefix, text string) []line {
	var out []line
	for len(prefix)+len(text) > wrapAt {
		cut := wrapAt - len(prefix)
		out = append(out, stamp(prefix+text[:cut]))
		text, prefix = text[cut:], strings.Repeat(" ", len(prefix))
	}
	return append(out, stamp(prefix+text))
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
		switch {
		case r.SignatureImage != nil:
			ls = append(ls, stamp("   Signature (drawn):"), line{png: r.SignatureImage, space: imageLines})
		case r.TypedSignature != "":
			ls = append(ls, line{text: "   Signature (typed): " + r.TypedSignature, font: pdf.FontSignature, space: 1})
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

// Append adds the certificate pages after the last page of doc.
func Append(doc []byte, d Data) ([]byte, error) {
	out, _, err := appendPages(doc, d)
	return out, err
}

// Standalone is the certificate alone, built on doc's first page's
// resources and then trimmed to the certificate pages.
func Standalone(doc []byte, d Data) ([]byte, error) {
	out, first, err := appendPages(doc, d)
	if err != nil {
		return nil, err
	}
	var trimmed bytes.Buffer
	if err := api.Trim(bytes.NewReader(out), &trimmed, []string{fmt.Sprintf("%d-", first)}, nil); err != nil {
		return nil, fmt.Errorf("cut out certificate pages: %w", err)
	}
	return trimmed.Bytes(), nil
}

// appendPages returns the new PDF and the number of its first certificate page.
func appendPages(doc []byte, d Data) ([]byte, int, error) {
	ls := lines(d)
	pages, placed := paginate(ls)
	info, err := pdf.Inspect(doc, pdf.Limits{MaxBytes: int64(len(doc)), MaxPages: 1 << 20})
	if err != nil {
		return nil, 0, fmt.Errorf("read document: %w", err)
	}
	first := len(info.Pages) + 1
	a4 := &pdfcpu.PageConfiguration{PageDim: types.PaperSize["A4"], PageSize: "A4", UserDim: true, InpUnit: types.POINTS}
	for range pages {
		var buf bytes.Buffer
		if err := api.InsertPages(bytes.NewReader(doc), &buf, []string{"l"}, false, a4, nil); err != nil {
			return nil, 0, fmt.Errorf("add certificate page: %w", err)
		}
		doc = buf.Bytes()
	}
	if info, err = pdf.Inspect(doc, pdf.Limits{MaxBytes: int64(len(doc)), MaxPages: 1 << 20}); err != nil {
		return nil, 0, fmt.Errorf("read document with certificate pages: %w", err)
	}
	var stamps []pdf.Stamp
	for i, l := range ls {
		if l.text == "" && l.png == nil {
			continue
		}
		page, slot := placed[i][0], placed[i][1]
		s := pdf.Stamp{
			Page: first + page, Text: l.text, Font: l.font, PNG: l.png,
			X: margin / pageW, Y: (margin + float64(slot)*lineH) / pageH,
			W: (pageW - 2*margin) / pageW, H: float64(l.space) * lineH / pageH,
		}
		if l.png != nil {
			s.X, s.W = (margin+20)/pageW, 160/pageW
		}
		stamps = append(stamps, s)
	}
	out, err := pdf.StampAll(doc, info.Pages, stamps)
	if err != nil {
		return nil, 0, fmt.Errorf("write certificate: %w", err)
	}
	return out, first, nil
}
