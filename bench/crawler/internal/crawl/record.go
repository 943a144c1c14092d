package crawl

// Record is one line of a crawler's JSON Lines output: one fetched URL,
// with the fields of weft's examples/crawler (issue 8). The colly crawler
// writes it; Check reads url, final_url, status and error of any
// crawler's lines.
type Record struct {
	URL         string `json:"url"`                 // as the crawler first asked for it
	FinalURL    string `json:"final_url"`           // after redirects
	Status      int    `json:"status"`              // 0 if there was no response
	Depth       int    `json:"depth"`               // links from the seed, which is 0
	Bytes       int    `json:"bytes"`               // of the body read (decoded)
	ContentType string `json:"content_type"`        // the response's Content-Type
	Links       int    `json:"links"`               // links found on the page
	Error       string `json:"error,omitempty"`     // why the fetch failed
	MS          int64  `json:"ms"`                  // from the request to the page's links found
	Truncated   bool   `json:"truncated,omitempty"` // the body was cut at the crawler's -max-body
}
