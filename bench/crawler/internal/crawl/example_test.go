package crawl_test

import (
	"fmt"
	"strings"

	"github.com/weftio/weft/bench/crawler/internal/crawl"
)

// A crawl of a three-page site that fetched "/" and "/a" but not "/b",
// and "/a" twice.
func ExampleCheck() {
	want := []string{"/", "/a", "/b", "/robots.txt"}
	out := `{"url":"http://127.0.0.1:8080/","final_url":"http://127.0.0.1:8080/","status":200}
{"url":"http://127.0.0.1:8080/a","final_url":"http://127.0.0.1:8080/a","status":200}
{"url":"http://127.0.0.1:8080/a#top","final_url":"http://127.0.0.1:8080/a","status":200}
`
	st := crawl.Stats{Status: map[string]int{"/": 200, "/a": 200, "/b": 200}}
	r, err := crawl.Check(strings.NewReader(out), "127.0.0.1:8080", want, st)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Lines, r.OK())
	fmt.Println(r)
	// Output:
	// 3 false
	// 1 page missing from the output (/b); 1 page on more than one line (/a)
}
