package bundle

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// urlInText finds the URLs in an error text: Go's net/http and net/url
// errors repeat the request URL, query included. A URL ends at a space or a
// quote, and trailing punctuation (`...tar.gz?token=T: refused`) is left
// out so that the text around it survives redaction.
const urlInText = `(?i)https?://[^\s"'<>]*[^\s"'<>.,:;)]`

// redactURL drops the user info and the query (which may carry a token)
// from an URL source before it is shown; paths are returned unchanged.
func redactURL(source string) string {
	if !IsURL(source) {
		return source
	}
	u, err := url.Parse(source)
	if err != nil {
		return cutSecrets(source)
	}
	if u.User == nil && u.RawQuery == "" && !u.ForceQuery {
		return source
	}
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}

// cutSecrets is redactURL for a string that url.Parse rejects: everything
// up to the last "@" (user info) and from the next "?" (query) goes.
func cutSecrets(raw string) string {
	scheme, rest, _ := strings.Cut(raw, "://")
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	rest, _, _ = strings.Cut(rest, "?")
	return scheme + "://" + rest
}

// redactText removes user info and query from every URL in text, source
// first (in case it holds a character that ends a URL in urlInText).
func redactText(text, source string) string {
	if IsURL(source) {
		text = strings.ReplaceAll(text, source, redactURL(source))
	}
	return regexp.MustCompile(urlInText).ReplaceAllStringFunc(text, redactURL)
}

// redactError is err with the secrets of every URL in its text removed,
// for errors that reach a log line or /readyz. The original error is
// deliberately not wrapped: unwrapping it would give the secrets back.
func redactError(err error, source string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if redacted := redactText(text, source); redacted != text {
		return errors.New(redacted)
	}
	return err
}
