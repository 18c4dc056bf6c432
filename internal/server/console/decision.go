package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/pdp"
	"github.com/pdp-project/pdp/internal/server"
)

// decisionPage is the data of a decision's page.
type decisionPage struct {
	Entry audit.Entry
	// Wire is the record as the AuditService's GetDecision returns it.
	Wire string
	// Chain is the trail's verification (MayVerify: the caller may see it)
	// and Position the record's place in it.
	MayVerify bool
	Chain     chainState
	Position  position
	ServerFP  string
	// Again is the record re-evaluated against the active bundle, when
	// asked (explain=1) and allowed (MayExplain).
	MayExplain bool
	Asked      bool
	Again      *evaluation
	AgainErr   string
	Playground string
	ExplainURL string
}

// RevisionDiffers reports that the active bundle is not the one that
// decided (by revision or, under an unchanged revision, by content).
func (p decisionPage) RevisionDiffers() bool {
	return p.Again != nil && p.Again.Revision != p.Entry.BundleRevision
}

// DigestDiffers reports a content change under the same revision.
func (p decisionPage) DigestDiffers() bool {
	return p.Again != nil && !p.RevisionDiffers() && p.Entry.BundleDigest != "" && p.Again.Digest != p.Entry.BundleDigest
}

// decision is /ui/decisions/{id}: one record, its place in the chain, and
// on request its re-evaluation against the active bundle with an
// explanation.
func (c *Console) decision(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permGet)
	if !ok {
		return
	}
	id := r.PathValue("id")
	e, err := c.opts.Trail.GetEntry(r.Context(), id)
	if errors.Is(err, audit.ErrNotFound) {
		err = pdp.Errorf(pdp.CodeNotFound, "no decision %q in the audit trail", id)
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	page := decisionPage{Entry: e, Wire: wireJSON(e), ServerFP: c.opts.Fingerprint(c.opts.PublicKey),
		Playground: "/ui/playground?" + url.Values{"from": {id}}.Encode(),
		ExplainURL: "/ui/decisions/" + url.PathEscape(id) + "?explain=1#again"}
	if page.MayVerify = c.may(r.Context(), caller, permVerify); page.MayVerify {
		page.Chain = c.chain.get(r.Context())
		page.Position = page.Chain.place(e.Seq, c.opts.PublicKey, c.opts.Fingerprint)
	}
	page.MayExplain = c.may(r.Context(), caller, permAuthor)
	page.Asked = r.URL.Query().Get("explain") == "1"
	if page.Asked && page.MayExplain {
		page.Again, err = c.evaluate(r, c.opts.Engine, pdp.Query{Entrypoint: e.Entrypoint, Input: e.Input, Explain: true})
		if err != nil {
			page.AgainErr = publicMsg(err)
		}
	}
	c.render(w, r, http.StatusOK, "decision", "Decision "+id, caller, page)
}

// wireJSON is the record in the AuditService's JSON form.
func wireJSON(e audit.Entry) string {
	rec, err := server.RecordToProto(e)
	if err != nil {
		return ""
	}
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(rec)
	if err != nil {
		return ""
	}
	return string(out)
}

// Masked reports whether the record's input was masked at ptr.
func (p decisionPage) Masked(ptr string) bool { return slices.Contains(p.Entry.Masked, ptr) }
