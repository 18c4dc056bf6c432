package authn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/pdp-project/pdp/internal/pdp"
)

// MaxTokenBytes bounds a subject token; longer ones are invalid unread.
const MaxTokenBytes = 8 << 10

// MaxLeeway bounds the clock skew accepted on exp and nbf.
const MaxLeeway = 60 * time.Second

// DefaultAlgorithms are the asymmetric algorithms accepted by default. HMAC
// algorithms are added only when a secret is configured; "none" never is.
func DefaultAlgorithms() []string { return []string{"RS256", "ES256", "EdDSA"} }

// hmacAlgorithms may be used with the configured HMAC secret only.
func hmacAlgorithms() []string { return []string{"HS256", "HS384", "HS512"} }

// TokenOptions configures a TokenVerifier.
type TokenOptions struct {
	// Keys supplies the JWKS (a file or a URL); nil with no HMACSecret makes
	// every token unverifiable.
	Keys KeySource
	// HMACSecret enables HS256/384/512 with this secret only.
	HMACSecret []byte
	// Algorithms overrides DefaultAlgorithms.
	Algorithms []string
	Issuer     string // required iss when set
	Audience   string // required aud when set
	// Leeway is the accepted clock skew on exp/nbf, at most MaxLeeway.
	Leeway time.Duration
	// Revoked reports revoked jti values (data.system.revoked_jti); may be nil.
	Revoked func(jti string) bool
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// KeySource returns the current key set; refresh asks for a fresh copy
// because a kid was unknown. An error means the keys are unavailable.
type KeySource interface {
	Keys(ctx context.Context, refresh bool) (jwk.Set, error)
}

// TokenVerifier verifies subject tokens (JWS compact JWTs). It is safe for
// concurrent use.
type TokenVerifier struct {
	opts  TokenOptions
	algs  []string
	clock jwt.Clock
}

// TokenError is a token that does not verify. Reason is one of
// pdp.ReasonInvalidToken, pdp.ReasonTokenRevoked, pdp.ReasonTokenUnverifiable;
// the message names the cause and never holds the token.
type TokenError struct {
	reason string
	msg    string
}

func (e *TokenError) Error() string { return e.msg }

// Reason is the deny reason the decision carries.
func (e *TokenError) Reason() string { return e.reason }

func invalid(format string, args ...any) error {
	return &TokenError{reason: pdp.ReasonInvalidToken, msg: fmt.Sprintf(format, args...)}
}

// NewTokenVerifier builds a verifier from opts.
func NewTokenVerifier(opts TokenOptions) (*TokenVerifier, error) {
	if opts.Leeway < 0 || opts.Leeway > MaxLeeway {
		return nil, fmt.Errorf("token leeway %s: must be between 0 and %s", opts.Leeway, MaxLeeway)
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms()
	}
	if slices.ContainsFunc(algs, func(a string) bool { return strings.EqualFold(a, "none") }) {
		return nil, errors.New("token algorithm none is never accepted")
	}
	if len(opts.HMACSecret) > 0 {
		algs = append(slices.Clone(algs), hmacAlgorithms()...)
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	return &TokenVerifier{opts: opts, algs: algs, clock: jwt.ClockFunc(clock)}, nil
}

// Verify checks token and returns its claims. A token that does not verify
// is a *TokenError; only the end of ctx is returned as is.
func (v *TokenVerifier) Verify(ctx context.Context, token string) (map[string]any, error) {
	if len(token) > MaxTokenBytes {
		return nil, invalid("token is %d bytes; at most %d are accepted", len(token), MaxTokenBytes)
	}
	alg, kid, err := header(token)
	if err != nil {
		return nil, err
	}
	key, err := v.key(ctx, alg, kid)
	if err != nil {
		return nil, err
	}
	if _, err := jwt.Parse([]byte(token), v.parseOptions(alg, key)...); err != nil {
		return nil, classify(err)
	}
	claims, err := payload(token)
	if err != nil {
		return nil, err
	}
	return claims, v.checkRevoked(claims)
}

func (v *TokenVerifier) parseOptions(alg jwa.SignatureAlgorithm, key any) []jwt.ParseOption {
	opts := []jwt.ParseOption{
		jwt.WithKey(alg, key), jwt.WithValidate(true), jwt.WithClock(v.clock),
		jwt.WithAcceptableSkew(v.opts.Leeway), jwt.WithRequiredClaim("exp"),
	}
	if v.opts.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.opts.Issuer))
	}
	if v.opts.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.opts.Audience))
	}
	return opts
}

// header reads alg and kid from the protected header of a compact JWS;
// jwt.Parse checks the rest of it (and rejects "crit" it does not know).
func header(token string) (jwa.SignatureAlgorithm, string, error) {
	var none jwa.SignatureAlgorithm
	if strings.Count(token, ".") != 2 {
		return none, "", invalid("token is not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err != nil || json.Unmarshal(raw, &h) != nil {
		return none, "", invalid("token header is malformed")
	}
	alg, ok := jwa.LookupSignatureAlgorithm(h.Alg)
	if !ok {
		return none, "", invalid("algorithm %q is not accepted", truncate(h.Alg))
	}
	return alg, h.Kid, nil
}

// key picks the verification key for alg: the HMAC secret for HS*, else the
// JWKS key named by kid, whose type must fit alg.
func (v *TokenVerifier) key(ctx context.Context, alg jwa.SignatureAlgorithm, kid string) (any, error) {
	name := alg.String()
	if !slices.Contains(v.algs, name) {
		return nil, invalid("algorithm %q is not accepted", truncate(name))
	}
	if slices.Contains(hmacAlgorithms(), name) {
		return v.opts.HMACSecret, nil
	}
	key, err := v.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	if want := keyType(name); key.KeyType().String() != want {
		return nil, invalid("key %q is %s; algorithm %s needs %s", truncate(kid), key.KeyType(), name, want)
	}
	return key, nil
}

func keyType(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "RSA"
	case strings.HasPrefix(alg, "ES"):
		return "EC"
	default:
		return "OKP"
	}
}

// lookup finds kid in the key set, refreshing it once when kid is unknown.
func (v *TokenVerifier) lookup(ctx context.Context, kid string) (jwk.Key, error) {
	if v.opts.Keys == nil {
		return nil, &TokenError{reason: pdp.ReasonTokenUnverifiable, msg: "no JWKS is configured"}
	}
	for _, refresh := range []bool{false, true} {
		set, err := v.opts.Keys.Keys(ctx, refresh)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &TokenError{reason: pdp.ReasonTokenUnverifiable, msg: "JWKS unavailable: " + err.Error()}
		}
		if key, ok := find(set, kid); ok {
			return key, nil
		}
	}
	return nil, invalid("unknown kid %q", truncate(kid))
}

// find returns the key with kid; without a kid, the only key of the set.
func find(set jwk.Set, kid string) (jwk.Key, bool) {
	if kid != "" {
		return set.LookupKeyID(kid)
	}
	if set.Len() != 1 {
		return nil, false
	}
	return set.Key(0)
}

// classify turns a jwx failure into a TokenError with a fixed message.
func classify(err error) error {
	causes := []struct {
		target error
		msg    string
	}{
		{jwt.TokenExpiredError(), "token is expired"},
		{jwt.TokenNotYetValidError(), "token is not valid yet (nbf)"},
		{jwt.InvalidIssuerError(), "token issuer is not accepted"},
		{jwt.InvalidAudienceError(), "token audience is not accepted"},
		{jwt.MissingRequiredClaimError(), "token has no exp claim"},
		{jws.VerificationError(), "token signature does not verify"},
		{jwt.InvalidIssuedAtError(), "token iat is in the future"},
	}
	for _, c := range causes {
		if errors.Is(err, c.target) {
			return invalid("%s", c.msg)
		}
	}
	return invalid("token does not verify")
}

// payload decodes the claims of a verified token, numbers as float64 like
// every other input value.
func payload(token string) (map[string]any, error) {
	part := token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return nil, invalid("token payload is not base64url")
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil || claims == nil {
		return nil, invalid("token payload is not a JSON object")
	}
	return claims, nil
}

func (v *TokenVerifier) checkRevoked(claims map[string]any) error {
	jti, _ := claims["jti"].(string)
	if jti != "" && v.opts.Revoked != nil && v.opts.Revoked(jti) {
		return &TokenError{reason: pdp.ReasonTokenRevoked, msg: fmt.Sprintf("token jti %q is revoked", truncate(jti))}
	}
	return nil
}

// truncate bounds attacker-chosen header values quoted in messages.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
