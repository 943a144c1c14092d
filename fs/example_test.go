//go:build linux

package fs_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/fs"
)

// Example writes a file atomically, then reads it back in two ways: with
// ReadAt, and through io.Copy, since in a fiber a File is an io.Reader.
func Example() {
	dir, _ := os.MkdirTemp("", "weft-fs-example")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "greeting.txt")

	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		if err := fs.WriteFile(ctx, name, []byte("hello from a fiber\n"), 0o644); err != nil {
			return err
		}
		f, err := fs.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close()
		word := make([]byte, 4)
		if _, err := f.ReadAt(word, 6); err != nil {
			return err
		}
		fmt.Printf("%s\n", word)
		_, err = io.Copy(os.Stdout, f)
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// from
	// hello from a fiber
}

// ExampleFile_ReadAtAsync reads through a future, the face for code that
// is not a fiber; here a fiber awaits it.
func ExampleFile_ReadAtAsync() {
	name := filepath.Join(os.TempDir(), "weft-fs-async-example")
	os.WriteFile(name, []byte("0123456789"), 0o644)
	defer os.Remove(name)

	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		f, err := fs.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close()
		buf := make([]byte, 16)
		// The count is below len(buf): the file ended first.
		n, err := fiber.Await(ctx, f.ReadAtAsync(ctx, buf, 4))
		fmt.Println(n, string(buf[:n]), err)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: 6 456789 <nil>
}
