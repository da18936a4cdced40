package pdf

import (
	"bytes"
	"fmt"
	"image/png"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	wazeroapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Reading text with positions and drawing pages take a real PDF engine:
// PDFium, compiled to WebAssembly and run by wazero (go-pdfium), so no cgo
// and no library on the host. One instance serves the process, one
// document at a time; it is made on first use (its compilation takes
// seconds), so envelopes that use neither text tags nor page images never
// pay for it.
var (
	engineOnce sync.Once
	engine     pdfium.Pool
	engineErr  error
)

// The engine's limits: the wait while another document holds it, how long
// one use may run before its instance is killed, and the memory PDFium
// may take (wasm pages of 64 KiB: 1 GiB).
const (
	engineWait        = time.Minute
	engineWork        = 30 * time.Second
	engineMemoryPages = 16384
)

func pdfEngine() (pdfium.Pool, error) {
	engineOnce.Do(func() {
		engine, engineErr = webassembly.Init(webassembly.Config{MinIdle: 0, MaxIdle: 1, MaxTotal: 1, ReuseWorkers: true,
			// As go-pdfium's default (its PDFium needs exception handling),
			// plus a memory cap and a kill that interrupts running code.
			RuntimeConfig: wazero.NewRuntimeConfig().
				WithCoreFeatures(wazeroapi.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
				WithMemoryLimitPages(engineMemoryPages).
				WithCloseOnContextDone(true),
		})
	})
	return engine, engineErr
}

// PageWidths are the widths a page image is drawn at: a few, so that a
// caller cannot make the engine draw one page at 1,900 widths, and the
// cache serves every screen of about the same size. No image holds more
// than maxPagePixels.
var PageWidths = []int{400, 600, 800, 1000, 1200, 1600, 2000}

const maxPagePixels = 8 << 20

// RenderPage draws page nr (from 1) of a document that passed Inspect as
// a PNG width pixels wide, its height following the page's shape, capped
// so the image holds at most maxPagePixels.
func RenderPage(data []byte, nr, width int) ([]byte, error) {
	if !slices.Contains(PageWidths, width) {
		return nil, fmt.Errorf("a page image is one of %v pixels wide", PageWidths)
	}
	var out bytes.Buffer
	err := withDocument(data, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		res, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{
			Page:  requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: nr - 1}},
			Width: width, Height: maxPagePixels / width,
		})
		if err != nil {
			return fmt.Errorf("render page %d: %w", nr, err)
		}
		defer res.Cleanup()
		if err := png.Encode(&out, res.Result.RenderedImage); err != nil {
			return fmt.Errorf("encode page %d: %w", nr, err)
		}
		return nil
	})
	return out.Bytes(), err
}

// withDocument opens data in the engine, waiting for it while another
// document holds it, and runs use on it.
func withDocument(data []byte, use func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	pool, err := pdfEngine()
	if err != nil {
		return fmt.Errorf("start the PDF engine: %w", err)
	}
	inst, err := pool.GetInstance(engineWait)
	if err != nil {
		return fmt.Errorf("wait for the PDF engine: %w", err)
	}
	// A document that keeps the engine busy past engineWork has its
	// instance killed; the pool makes a fresh one for the next.
	var killed atomic.Bool
	timer := time.AfterFunc(engineWork, func() { killed.Store(true); _ = inst.Kill() })
	defer func() {
		if timer.Stop() {
			_ = inst.Close()
		}
	}()
	err = func() error {
		doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
		if err != nil {
			return reject("the PDF cannot be opened by the PDF engine (%v)", err)
		}
		defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
		return use(inst, doc.Document)
	}()
	if killed.Load() {
		return fmt.Errorf("the PDF engine gave up on the document after %s", engineWork)
	}
	return err
}
