// Package pdf checks uploaded PDFs and stamps field values onto them with
// pdfcpu. Every call on untrusted bytes runs behind a size cap, a panic
// guard and a timeout, with pdfcpu kept off the network and out of the home
// directory.
package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/signflow/signflow/models"
)

// Limits bounds what intake accepts.
type Limits struct {
	MaxBytes int64
	MaxPages int
}

// DefaultLimits are the caps used when configuration sets none.
var DefaultLimits = Limits{MaxBytes: 25 << 20, MaxPages: 500}

// timeout bounds one pdfcpu call. A call that overruns is abandoned: Go
// cannot stop the goroutine, but the caller gets its answer.
const timeout = 60 * time.Second

// RejectError says why a document was refused, in words for the sender.
type RejectError struct {
	Reason string
}

func (e *RejectError) Error() string { return e.Reason }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// IsReject reports whether err is a refusal of the input rather than a fault.
func IsReject(err error) bool {
	var r *RejectError
	return errors.As(err, &r)
}

// Info is what intake records about an accepted document.
type Info struct {
	SHA256 string
	Size   int64
	Pages  []models.Page
	// FormFields are the document's own form fields (AcroForm).
	FormFields []models.FormField
}

var disableConfigDir sync.Once

func configuration() *model.Configuration {
	disableConfigDir.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.Offline = true
	conf.ValidationMode = model.ValidationRelaxed
	// A stream may expand a thousandfold when decoded: what one stream may
	// decode to is capped well below what a process can spare, since
	// pdfcpu holds it whole.
	conf.Limits.MaxStreamBytes = 64 << 20
	conf.Limits.MaxDecodeBytes = 32 << 20
	conf.Limits.MaxImageBytes = 64 << 20
	conf.Limits.MaxImagePixels = 16 << 20
	conf.Limits.MaxObjectCount = 1_000_000
	conf.Limits.MaxXRefEntries = 1_000_000
	return conf
}

// guard runs fn, turning a panic into an error and giving up after timeout.
func guard(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("pdf processing failed: %v", r)
			}
		}()
		done <- fn()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("pdf processing took longer than %s", timeout)
	}
}

// Inspect accepts a PDF for signing or says why not.
func Inspect(data []byte, limits Limits) (*Info, error) {
	if int64(len(data)) > limits.MaxBytes {
		return nil, reject("the document is %d bytes; the limit is %d bytes", len(data), limits.MaxBytes)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\n\r "), []byte("%PDF-")) {
		return nil, reject("the document is not a PDF (it does not start with %%PDF-)")
	}
	var pages []models.Page
	var fields []models.FormField
	err := guard(func() error {
		if err := checkCrossReferences(data); err != nil {
			return err
		}
		ctx, err := api.ReadAndValidate(bytes.NewReader(data), configuration())
		if errors.Is(err, pdfcpu.ErrWrongPassword) {
			return reject("the PDF is password-protected; upload it without encryption")
		}
		if err != nil {
			return reject("the PDF is damaged or truncated and cannot be read (%v)", err)
		}
		if ctx.Encrypt != nil || ctx.E != nil {
			return reject("the PDF is encrypted; upload it without encryption")
		}
		if ctx.PageCount < 1 {
			return reject("the PDF has no pages")
		}
		if ctx.PageCount > limits.MaxPages {
			return reject("the PDF has %d pages; the limit is %d", ctx.PageCount, limits.MaxPages)
		}
		if pages, err = pageGeometry(ctx); err != nil {
			return err
		}
		if err := checkObjects(ctx); err != nil {
			return err
		}
		if err := checkPageContents(ctx); err != nil {
			return err
		}
		if fields, err = formFields(ctx); err != nil {
			return err
		}
		return checkRoundTrip(data, ctx)
	})
	if err != nil {
		if IsReject(err) {
			return nil, err
		}
		return nil, reject("the PDF cannot be processed (%v)", err)
	}
	sum := sha256.Sum256(data)
	return &Info{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Pages: pages, FormFields: fields}, nil
}

func pageGeometry(ctx *model.Context) ([]models.Page, error) {
	pages := make([]models.Page, 0, ctx.PageCount)
	for nr := 1; nr <= ctx.PageCount; nr++ {
		_, _, attrs, err := ctx.PageDict(nr, false)
		if err != nil || attrs == nil {
			return nil, reject("page %d of the PDF cannot be read", nr)
		}
		box := attrs.MediaBox
		if attrs.CropBox != nil {
			box = attrs.CropBox
		}
		if box == nil {
			return nil, reject("page %d of the PDF has no size", nr)
		}
		rot := ((attrs.Rotate % 360) + 360) % 360
		w, h := box.Width(), box.Height()
		if rot == 90 || rot == 270 {
			w, h = h, w
		}
		pages = append(pages, models.Page{Width: w, Height: h, Rotation: rot})
	}
	return pages, nil
}

// SHA256 is the hex SHA-256 of data.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
