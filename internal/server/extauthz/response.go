package extauthz

import (
	"net/http"
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/pdp-project/pdp/internal/pdp"
)

// DecisionHeader names the decision id on the answer, so that a request
// can be traced to its audit record.
const DecisionHeader = "x-pdp-decision-id"

func allowed(d pdp.Decision) *authv3.CheckResponse {
	headers := append(obligationHeaders(d.Obligations), header(DecisionHeader, d.ID))
	return &authv3.CheckResponse{
		Status:       &status.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{Headers: headers}},
	}
}

func denied(d pdp.Decision) *authv3.CheckResponse {
	headers := append(obligationHeaders(d.Obligations), header(DecisionHeader, d.ID))
	return deny(codes.PermissionDenied, denyStatus(d.Obligations), headers)
}

func malformed(err error) *authv3.CheckResponse {
	r := deny(codes.InvalidArgument, http.StatusForbidden, nil)
	r.Status.Message = err.Error()
	return r
}

// refused answers a call refused before it reached Check, with the HTTP
// status closest to the gRPC code.
func refused(st *grpcstatus.Status) *authv3.CheckResponse {
	r := deny(st.Code(), refusedHTTP(st.Code()), nil)
	r.Status.Message = st.Message()
	return r
}

func refusedHTTP(c codes.Code) int {
	switch c {
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusForbidden
}

func unavailable() *authv3.CheckResponse {
	return deny(codes.Unavailable, http.StatusServiceUnavailable, nil)
}

func deny(code codes.Code, httpStatus int, headers []*corev3.HeaderValueOption) *authv3.CheckResponse {
	return &authv3.CheckResponse{
		Status: &status.Status{Code: int32(code)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode(httpStatus)}, Headers: headers,
		}},
	}
}

// denyStatus is obligations.status when it is a 4xx or 5xx code, else 403.
func denyStatus(ob map[string]any) int {
	if n, ok := ob["status"].(float64); ok && n >= 400 && n <= 599 && n == float64(int(n)) {
		return int(n)
	}
	return http.StatusForbidden
}

// obligationHeaders turns obligations.headers (name -> string) into header
// options, in name order; values that are not strings are left out.
func obligationHeaders(ob map[string]any) []*corev3.HeaderValueOption {
	hs, _ := ob["headers"].(map[string]any)
	names := make([]string, 0, len(hs))
	for k := range hs {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []*corev3.HeaderValueOption
	for _, k := range names {
		if v, ok := hs[k].(string); ok {
			out = append(out, header(k, v))
		}
	}
	return out
}

func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}
