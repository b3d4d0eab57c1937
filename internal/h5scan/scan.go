package h5scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The HDF5 library loads a file's whole group tree when it opens it,
// recursing into every linked group without remembering where it has been:
// in a corrupt file whose links form a cycle it recurses until the stack
// overflows, which ends the program. Check walks the same links first,
// for the two common layouts (version 0 superblock with symbol-table
// groups, as h5py writes by default; version 2 with compact link messages,
// as nir.Write does), and refuses a tree deeper than maxDepth or
// larger than maxObjects. A structure it does not parse (dense link
// storage, an unknown header version) ends its walk of that branch without
// an error: the library then decides.
const (
	maxDepth   = 64
	maxObjects = 100_000
)

var errTooDeep = errors.New("group links nested deeper than 64 levels (a cycle of links in a corrupt file?)")

type linkScan struct {
	r       io.ReaderAt
	size    int64 // of the file
	objects int
}

func (s *linkScan) bytes(addr uint64, n int) []byte {
	if addr > 1<<62 || n < 0 || n > 1<<20 {
		return nil
	}
	b := make([]byte, n)
	if _, err := s.r.ReadAt(b, int64(addr)); err != nil {
		return nil
	}
	return b
}

// Check checks the link tree of the HDF5 file r of size bytes (see
// above), and that each group's local heap (its names) lies in the file: the
// library allocates the size a heap claims before reading it.
func Check(r io.ReaderAt, size int64) error {
	s := &linkScan{r: r, size: size}
	if err := s.globalHeaps(); err != nil {
		return err
	}
	sb := s.bytes(0, 96)
	if sb == nil || string(sb[:8]) != "\x89HDF\r\n\x1a\n" {
		return nil
	}
	le := binary.LittleEndian
	switch sb[8] {
	case 0: // root symbol table entry at 56: object header address at 64
		if sb[13] != 8 || sb[14] != 8 {
			return nil
		}
		return s.object(le.Uint64(sb[64:]), 0)
	case 2, 3:
		if sb[9] != 8 || sb[10] != 8 {
			return nil
		}
		return s.object(le.Uint64(sb[36:]), 0)
	}
	return nil
}

type rawMsg struct {
	typ  int
	data []byte
}

// object walks the groups linked from the object header at addr.
func (s *linkScan) object(addr uint64, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	if s.objects++; s.objects > maxObjects {
		return fmt.Errorf("more than %d objects in the link tree (a cycle of links in a corrupt file?)", maxObjects)
	}
	msgs := s.header(addr)
	le := binary.LittleEndian
	for _, m := range msgs {
		switch m.typ {
		case 0x11: // symbol table: B-tree address, local heap address
			if len(m.data) >= 16 {
				if err := s.heap(le.Uint64(m.data[8:])); err != nil {
					return err
				}
				if err := s.btree(le.Uint64(m.data), depth, 0); err != nil {
					return err
				}
			}
		case 0x06: // link
			if child, ok := hardLink(m.data); ok {
				if err := s.object(child, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// btree walks a version 1 group B-tree node and the symbol-table nodes
// below it.
func (s *linkScan) btree(addr uint64, depth, level int) error {
	if level > maxDepth {
		return errTooDeep
	}
	if s.objects++; s.objects > maxObjects {
		return fmt.Errorf("more than %d objects in the link tree (a cycle of links in a corrupt file?)", maxObjects)
	}
	h := s.bytes(addr, 24)
	if h == nil || string(h[:4]) != "TREE" || h[4] != 0 {
		return nil
	}
	le := binary.LittleEndian
	n := int(le.Uint16(h[6:]))
	body := s.bytes(addr+24, 8+16*n)
	if body == nil {
		return nil
	}
	for i := 0; i < n; i++ {
		child := le.Uint64(body[8+16*i:])
		if h[5] > 0 {
			if err := s.btree(child, depth, level+1); err != nil {
				return err
			}
			continue
		}
		sn := s.bytes(child, 8)
		if sn == nil || string(sn[:4]) != "SNOD" {
			continue
		}
		k := int(le.Uint16(sn[6:]))
		entries := s.bytes(child+8, 40*k)
		for j := 0; entries != nil && j < k; j++ {
			e := entries[40*j:]
			// A group's entry caches its B-tree and heap (cache type 1),
			// and the library follows those rather than its header.
			if le.Uint32(e[16:]) == 1 && le.Uint64(e[24:]) != 0 {
				if depth+1 > maxDepth {
					return errTooDeep
				}
				if err := s.heap(le.Uint64(e[32:])); err != nil {
					return err
				}
				if err := s.btree(le.Uint64(e[24:]), depth+1, 0); err != nil {
					return err
				}
				continue
			}
			if err := s.object(le.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// globalHeaps checks that every global heap collection (where
// variable-length strings live) ends inside the file: the library allocates
// the size a collection claims before reading it. A collection is found by
// its signature "GCOL", version 1, which is how the library recognises one.
func (s *linkScan) globalHeaps() error {
	if s.size > 1<<30 {
		return nil
	}
	b := s.bytes(0, int(s.size))
	if b == nil {
		b = make([]byte, s.size)
		if _, err := s.r.ReadAt(b, 0); err != nil {
			return nil
		}
	}
	if err := localHeaps(b); err != nil {
		return err
	}
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("GCOL\x01"))
		if i < 0 {
			return nil
		}
		at := off + i
		if at+16 <= len(b) {
			n := binary.LittleEndian.Uint64(b[at+8:])
			if n > uint64(len(b)-at) {
				return fmt.Errorf("a global heap collection at %d claims %d bytes, beyond the file's %d bytes", at, n, len(b))
			}
		}
		off = at + 4
	}
}

// heap checks that the local heap at addr keeps its data inside the file.
func (s *linkScan) heap(addr uint64) error {
	h := s.bytes(addr, 32)
	if h == nil || string(h[:4]) != "HEAP" {
		return nil
	}
	le := binary.LittleEndian
	size, data := le.Uint64(h[8:]), le.Uint64(h[24:])
	if size > uint64(s.size) || data > uint64(s.size)-size {
		return fmt.Errorf("a group's local heap claims %d bytes at %d, beyond the file's %d bytes", size, data, s.size)
	}
	return nil
}

// hardLink returns the address of a Link message's hard link.
func hardLink(d []byte) (uint64, bool) {
	if len(d) < 2 || d[0] != 1 {
		return 0, false
	}
	flags, p := d[1], 2
	typ := byte(0)
	if flags&0x08 != 0 {
		if p >= len(d) {
			return 0, false
		}
		typ = d[p]
		p++
	}
	if flags&0x04 != 0 {
		p += 8
	}
	if flags&0x10 != 0 {
		p++
	}
	size := 1 << (flags & 3)
	if p+size > len(d) {
		return 0, false
	}
	var n uint64
	for i := size - 1; i >= 0; i-- {
		n = n<<8 | uint64(d[p+i])
	}
	p += size
	if typ != 0 || n > uint64(len(d)) || p+int(n)+8 > len(d) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(d[p+int(n):]), true
}

// header returns the messages of the object header at addr (version 1 or
// 2, continuation blocks followed), or nil where it cannot parse one.
func (s *linkScan) header(addr uint64) []rawMsg {
	le := binary.LittleEndian
	h := s.bytes(addr, 16)
	if h == nil {
		return nil
	}
	var msgs []rawMsg
	var conts [][2]uint64
	v2 := string(h[:4]) == "OHDR"
	parse := func(b []byte, v2 bool, order bool) {
		for p := 0; ; {
			var typ, size, hl int
			if v2 {
				if p+4 > len(b) {
					return
				}
				typ, size, hl = int(b[p]), int(le.Uint16(b[p+1:])), 4
				if order {
					hl += 2
				}
			} else {
				if p+8 > len(b) {
					return
				}
				typ, size, hl = int(le.Uint16(b[p:])), int(le.Uint16(b[p+2:])), 8
			}
			if p+hl+size > len(b) {
				return
			}
			data := b[p+hl : p+hl+size]
			if typ == 0x10 && len(data) >= 16 {
				conts = append(conts, [2]uint64{le.Uint64(data), le.Uint64(data[8:])})
			}
			msgs = append(msgs, rawMsg{typ, data})
			p += hl + size
		}
	}
	var order bool
	if v2 {
		if h[4] != 2 {
			return nil
		}
		flags := h[5]
		order = flags&0x04 != 0
		p := 6
		if flags&0x20 != 0 {
			p += 16
		}
		if flags&0x10 != 0 {
			p += 4
		}
		size := 1 << (flags & 3)
		hb := s.bytes(addr, p+size)
		if hb == nil {
			return nil
		}
		var n uint64
		for i := size - 1; i >= 0; i-- {
			n = n<<8 | uint64(hb[p+i])
		}
		body := s.bytes(addr+uint64(p+size), int(min(n, 1<<20)))
		if body == nil {
			return nil
		}
		parse(body, true, order)
	} else {
		if h[0] != 1 {
			return nil
		}
		body := s.bytes(addr+16, int(min(uint64(le.Uint32(h[8:])), 1<<20)))
		if body == nil {
			return nil
		}
		parse(body, false, false)
	}
	for i := 0; i < len(conts) && i < 1000; i++ {
		c := conts[i]
		b := s.bytes(c[0], int(min(c[1], 1<<20)))
		if b == nil {
			continue
		}
		if v2 {
			if len(b) < 8 || string(b[:4]) != "OCHK" {
				continue
			}
			b = b[4 : len(b)-4]
		}
		parse(b, v2, order)
	}
	return msgs
}

// localHeaps checks every local heap of the file b, found by its signature
// "HEAP" with version 0 and zero reserved bytes, whether or not the walk of
// the link tree reached it: the library may reach a heap by a path the walk
// does not follow (a damaged header it reads differently), and it allocates
// the data segment size a heap claims before reading it. The size field's
// width is the superblock's length size.
func localHeaps(b []byte) error {
	if len(b) < 16 || string(b[:8]) != "\x89HDF\r\n\x1a\n" {
		return nil
	}
	width := 0
	switch b[8] {
	case 0, 1:
		width = int(b[14])
	case 2, 3:
		width = int(b[10])
	}
	if width != 2 && width != 4 && width != 8 {
		return nil
	}
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("HEAP\x00\x00\x00\x00"))
		if i < 0 {
			return nil
		}
		at := off + i
		if at+8+width <= len(b) {
			var n uint64
			for j := width - 1; j >= 0; j-- {
				n = n<<8 | uint64(b[at+8+j])
			}
			if n > uint64(len(b)) {
				return fmt.Errorf("a local heap at %d claims %d bytes, beyond the file's %d bytes", at, n, len(b))
			}
		}
		off = at + 4
	}
}
