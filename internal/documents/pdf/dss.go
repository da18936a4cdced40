package pdf

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Validation is what a verifier needs to check a seal once its
// certificate has expired (PAdES B-LT): the certificates of its chain and
// revocation lists, DER, kept in the document's security store (ISO
// 32000-2, 12.8.4.3).
type Validation struct {
	Certs, CRLs [][]byte
}

// AddDSS appends a Document Security Store holding v to doc as an
// incremental update: the certificates and revocation lists as streams,
// and the catalog again with a /DSS entry. It runs before the seal, so the
// seal covers it and the file stays signed whole. (pdfcpu writes only the
// catalog entries it knows, and /DSS is not one of them.)
func AddDSS(doc []byte, v *Validation) ([]byte, error) {
	var out []byte
	err := guard(func() error {
		ctx, err := api.ReadContext(bytes.NewReader(doc), configuration())
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		all := startXRef.FindAllSubmatch(doc, -1)
		if len(all) == 0 || ctx.Root == nil {
			return fmt.Errorf("no cross-reference section to append to")
		}
		prev, _ := strconv.Atoi(string(all[len(all)-1][1]))
		root, err := ctx.Catalog()
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		next := *ctx.Size
		var b bytes.Buffer
		b.Write(doc)
		if !bytes.HasSuffix(doc, []byte("\n")) {
			b.WriteByte('\n')
		}
		first, offsets := next, []int{}
		refs := func(items [][]byte) types.Array {
			var arr types.Array
			for _, der := range items {
				offsets = append(offsets, b.Len())
				fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n", next, len(der))
				b.Write(der)
				b.WriteString("\nendstream\nendobj\n")
				arr = append(arr, *types.NewIndirectRef(next, 0))
				next++
			}
			return arr
		}
		dss := types.Dict{"Type": types.Name("DSS"), "Certs": refs(v.Certs)}
		if len(v.CRLs) > 0 {
			dss["CRLs"] = refs(v.CRLs)
		}
		catalog := root.Clone().(types.Dict)
		catalog["DSS"] = dss
		rootNr, rootGen := ctx.Root.ObjectNumber.Value(), ctx.Root.GenerationNumber.Value()
		rootOffset := b.Len()
		fmt.Fprintf(&b, "%d %d obj\n%s\nendobj\n", rootNr, rootGen, catalog.PDFString())
		xref := b.Len()
		fmt.Fprintf(&b, "xref\n%d 1\n%010d %05d n \n%d %d\n", rootNr, rootOffset, rootGen, first, len(offsets))
		for _, off := range offsets {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		}
		trailer := types.Dict{"Size": types.Integer(next), "Root": *ctx.Root, "Prev": types.Integer(prev)}
		if ctx.Info != nil {
			trailer["Info"] = *ctx.Info
		}
		if ctx.ID != nil {
			trailer["ID"] = ctx.ID
		}
		fmt.Fprintf(&b, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer.PDFString(), xref)
		out = b.Bytes()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add security store: %w", err)
	}
	return out, nil
}

// SecurityStore reads a document's security store; nil when it has none.
func SecurityStore(doc []byte) (*Validation, error) {
	var v *Validation
	err := guard(func() error {
		ctx, err := api.ReadContext(bytes.NewReader(doc), configuration())
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		root, err := ctx.Catalog()
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		dss, err := ctx.DereferenceDict(root["DSS"])
		if err != nil || dss == nil {
			return err
		}
		read := func(key string) ([][]byte, error) {
			arr, err := ctx.DereferenceArray(dss[key])
			if err != nil {
				return nil, err
			}
			var out [][]byte
			for _, o := range arr {
				sd, _, err := ctx.DereferenceStreamDict(o)
				if err != nil || sd == nil {
					return nil, fmt.Errorf("security store entry %v is not a stream", o)
				}
				if err := sd.Decode(); err != nil {
					return nil, err
				}
				out = append(out, sd.Content)
			}
			return out, nil
		}
		v = &Validation{}
		if v.Certs, err = read("Certs"); err != nil {
			return err
		}
		v.CRLs, err = read("CRLs")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read security store: %w", err)
	}
	return v, nil
}
