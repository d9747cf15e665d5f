// The WHEP side of the player: POST the offer, read the 201 answer and its
// Location, DELETE that Location at the end.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

type whepClient struct {
	endpoint *url.URL
	token    string
	http     http.Client
}

func (c *whepClient) request(ctx context.Context, method, target string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Accept", "application/sdp")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	// An answer is a few KiB; the service refuses offers over 64 KiB.
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res, data, err
}

// post sends the offer; returns the answer and the session's absolute URL.
func (c *whepClient) post(ctx context.Context, offer string) (answer, session string, err error) {
	res, body, err := c.request(ctx, http.MethodPost, c.endpoint.String(), []byte(offer))
	if err != nil {
		return "", "", fmt.Errorf("WHEP POST %s: %w", c.endpoint, err)
	}
	if res.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("WHEP POST %s answered %s: %s", c.endpoint, res.Status, strings.TrimSpace(string(body)))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		return "", "", fmt.Errorf("WHEP POST %s: 201 with Content-Type %q, not application/sdp", c.endpoint, ct)
	}
	loc := res.Header.Get("Location")
	if loc == "" {
		return "", "", fmt.Errorf("WHEP POST %s: 201 without Location", c.endpoint)
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return "", "", fmt.Errorf("WHEP POST %s: bad Location %q: %w", c.endpoint, loc, err)
	}
	return string(body), c.endpoint.ResolveReference(ref).String(), nil
}

// remove ends the session; any 2xx is fine (WHEP says 200, the spec's
// examples also show 204).
func (c *whepClient) remove(ctx context.Context, session string) (int, error) {
	res, body, err := c.request(ctx, http.MethodDelete, session, nil)
	if err != nil {
		return 0, fmt.Errorf("WHEP DELETE %s: %w", session, err)
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("WHEP DELETE %s answered %s: %s", session, res.Status, strings.TrimSpace(string(body)))
	}
	return res.StatusCode, nil
}
