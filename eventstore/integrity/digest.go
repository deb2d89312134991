package integrity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Domain-separation prefixes: a leaf can never be mistaken for an interior
// node (or the reverse), so no two different head sets share a root.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// Head is a stream's last event at some global position: the stream's name,
// that event's version and its chain hash.
type Head struct {
	Stream  string
	Version uint64
	Hash    eventstore.Hash
}

// LeafHash returns the Merkle leaf for h:
//
//	SHA-256(0x00 ‖ u32 len(stream) ‖ stream ‖ u64 version ‖ [32] hash)
//
// with big-endian integers. The length prefix keeps stream names from running
// into the version.
func LeafHash(h Head) eventstore.Hash {
	b := make([]byte, 0, 1+4+len(h.Stream)+8+len(h.Hash))
	b = append(b, leafPrefix)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.Stream)))
	b = append(b, h.Stream...)
	b = binary.BigEndian.AppendUint64(b, h.Version)
	b = append(b, h.Hash[:]...)
	return sha256.Sum256(b)
}

// nodeHash returns SHA-256(0x01 ‖ left ‖ right).
func nodeHash(left, right eventstore.Hash) eventstore.Hash {
	var b [1 + 2*sha256.Size]byte
	b[0] = nodePrefix
	copy(b[1:], left[:])
	copy(b[1+sha256.Size:], right[:])
	return sha256.Sum256(b[:])
}

// Root returns the Merkle root over heads, sorted by stream name (byte
// order). The tree has the shape of RFC 6962's: a list of n > 1 leaves splits
// at the largest power of two smaller than n. The root of no heads is
// SHA-256 of the empty string. A stream named twice is an error, since it
// would make the root ambiguous.
func Root(heads []Head) (eventstore.Hash, error) {
	sorted := slices.Clone(heads)
	slices.SortFunc(sorted, byStream)
	for i := 1; i < len(sorted); i++ {
		if sorted[i-1].Stream == sorted[i].Stream {
			return eventstore.Hash{}, fmt.Errorf("integrity: stream %q has two heads", sorted[i].Stream)
		}
	}
	return sortedRoot(sorted), nil
}

func byStream(a, b Head) int { return strings.Compare(a.Stream, b.Stream) }

// sortedRoot is Root for heads already sorted, with unique names.
func sortedRoot(sorted []Head) eventstore.Hash {
	if len(sorted) == 0 {
		return sha256.Sum256(nil)
	}
	leaves := make([]eventstore.Hash, len(sorted))
	for i, h := range sorted {
		leaves[i] = LeafHash(h)
	}
	return merkle(leaves)
}

func merkle(leaves []eventstore.Hash) eventstore.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return nodeHash(merkle(leaves[:k]), merkle(leaves[k:]))
}

// Digest is the ledger digest at a global position: the Merkle root over
// every stream's head after the events at or before Position. An auditor
// records it once; if any event at or before Position later changes, is
// removed or is inserted, the root computed from the log no longer matches.
type Digest struct {
	// Position is the global position of the last event the digest covers,
	// or 0 for an empty log.
	Position uint64
	// Root is the Merkle root over the stream heads at Position.
	Root eventstore.Hash
}

// String renders d as "<position>:<root hex>", the form ParseDigest reads.
func (d Digest) String() string {
	return strconv.FormatUint(d.Position, 10) + ":" + d.Root.String()
}

// ParseDigest parses the "<position>:<root hex>" form of a Digest.
func ParseDigest(s string) (Digest, error) {
	pos, root, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("integrity: digest %q is not <position>:<root hex>", s)
	}
	p, err := strconv.ParseUint(pos, 10, 64)
	if err != nil {
		return Digest{}, fmt.Errorf("integrity: digest %q: position: %w", s, err)
	}
	h, err := eventstore.ParseHash(root)
	if err != nil {
		return Digest{}, fmt.Errorf("integrity: digest %q: root: %w", s, err)
	}
	return Digest{Position: p, Root: h}, nil
}

// heads folds the global log into the current head of every stream.
type heads map[string]Head

func (hs heads) digest(position uint64) Digest {
	list := make([]Head, 0, len(hs))
	for _, h := range hs {
		list = append(list, h)
	}
	slices.SortFunc(list, byStream)
	return Digest{Position: position, Root: sortedRoot(list)}
}
