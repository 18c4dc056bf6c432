package extauthz

import (
	"net/url"
	"path"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/pdp-project/pdp/internal/pdp"
)

// SubjectHeader carries the subject id when the downstream has no
// principal; the gateway must set it itself (e.g. from a verified JWT) and
// never pass a client's value through.
const SubjectHeader = "x-subject-id"

// secretHeaders never reach the input document, hence never the audit trail.
var secretHeaders = map[string]bool{"authorization": true, "cookie": true, "proxy-authorization": true}

// toRequest maps Envoy's attribute context to the domain request; see the
// package comment for the mapping.
func toRequest(in *authv3.CheckRequest, caller string) (pdp.Request, error) {
	attrs := in.GetAttributes()
	h := attrs.GetRequest().GetHttp()
	if h == nil {
		return pdp.Request{}, pdp.InvalidField("attributes.request.http", "is required")
	}
	if h.GetMethod() == "" || h.GetPath() == "" {
		return pdp.Request{}, pdp.InvalidField("attributes.request.http", "method and path are required")
	}
	headers := headerMap(h)
	rawPath, query, _ := strings.Cut(h.GetPath(), "?")
	path := cleanPath(rawPath)
	return pdp.Request{
		Subject:  subject(attrs.GetSource(), headers),
		Resource: pdp.Resource{Type: "http", ID: path, Attributes: resourceAttributes(h, attrs, path, query, headers)},
		Action:   pdp.Action{Name: h.GetMethod(), Attributes: map[string]any{"protocol": h.GetProtocol()}},
		Environment: map[string]any{
			"context_extensions": stringMap(attrs.GetContextExtensions()),
		},
		Caller: caller,
	}, nil
}

// cleanPath is the path a server would resolve: percent-decoded, then
// without "." and ".." segments or repeated slashes, so that
// "/public/%2e%2e/private" is "/private" to the policy, not a path under
// "/public/". A trailing slash is kept.
func cleanPath(raw string) string {
	p, err := url.PathUnescape(raw)
	if err != nil {
		p = raw
	}
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

func subject(src *authv3.AttributeContext_Peer, headers map[string]string) pdp.Subject {
	attrs := map[string]any{"address": address(src.GetAddress()), "principal": src.GetPrincipal()}
	switch {
	case src.GetPrincipal() != "":
		return pdp.Subject{Type: "principal", ID: src.GetPrincipal(), Attributes: attrs}
	case headers[SubjectHeader] != "":
		return pdp.Subject{Type: "user", ID: headers[SubjectHeader], Attributes: attrs}
	default:
		return pdp.Subject{Type: "anonymous", ID: "anonymous", Attributes: attrs}
	}
}

func resourceAttributes(h *authv3.AttributeContext_HttpRequest, attrs *authv3.AttributeContext, path, query string, headers map[string]string) map[string]any {
	visible := map[string]any{}
	for k, v := range headers {
		if !secretHeaders[k] {
			visible[k] = v
		}
	}
	return map[string]any{
		"path": path, "query": query, "host": h.GetHost(), "scheme": h.GetScheme(),
		"headers": visible, "destination": address(attrs.GetDestination().GetAddress()),
	}
}

// headerMap reads the headers with lower-case names, from header_map when
// Envoy sends raw headers, else from headers.
func headerMap(h *authv3.AttributeContext_HttpRequest) map[string]string {
	out := map[string]string{}
	for k, v := range h.GetHeaders() {
		out[strings.ToLower(k)] = v
	}
	for _, hv := range h.GetHeaderMap().GetHeaders() {
		v := hv.GetValue()
		if v == "" {
			v = string(hv.GetRawValue())
		}
		out[strings.ToLower(hv.GetKey())] = v
	}
	return out
}

func address(a *corev3.Address) string {
	return a.GetSocketAddress().GetAddress()
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
