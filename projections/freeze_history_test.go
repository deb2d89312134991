package projections

import (
	"bytes"
	"sync"
	"testing"
)

// freezer is a model a freeze history can be run on.
type freezer interface {
	Projection
	Freezer
}

// freezeImage is an image taken between two parts of a history, and what
// the model was then.
type freezeImage struct {
	part    int
	marshal func() ([]byte, error)
	want    []byte
	answers string
	got     []byte
}

// checkFreezeHistory feeds evs to p (new, from fresh) in eight parts,
// freezing it before each. The image of every other part is marshalled on
// another goroutine while the next part is applied (with -race, an image
// sharing anything Apply changes in place is reported), the others only
// once the whole history is in, after every later freeze, a restore from
// the model's own state (part 3, as after a failed batch) and a reset and
// replay (part 5, as a rebuild does). Each image must marshal to exactly
// the bytes MarshalState gave when it was taken, and restore into a model
// from fresh that answers as p did then. Every part must change the
// state. It returns p, fed through the freezes, for the caller to compare
// with a model fed without them.
func checkFreezeHistory[P freezer](t *testing.T, evs []streamEvent, fresh func() P, answers func(*testing.T, P) string) P {
	t.Helper()
	p := fresh()
	const parts = 8
	size := (len(evs) + parts - 1) / parts
	var images []*freezeImage
	for part := range parts {
		lo, hi := part*size, min((part+1)*size, len(evs))
		want, err := p.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		im := &freezeImage{part: part, want: want, answers: answers(t, p), marshal: p.Freeze()}
		images = append(images, im)
		var merr error
		var wg sync.WaitGroup
		if part%2 == 0 {
			wg.Go(func() { im.got, merr = im.marshal() })
		}
		switch part {
		case 3:
			if err := p.UnmarshalState(want); err != nil {
				t.Fatal(err)
			}
		case 5:
			p.Reset()
			feedEvents(t, p, evs[:lo])
		}
		feedEvents(t, p, evs[lo:hi])
		wg.Wait()
		if merr != nil {
			t.Fatal(merr)
		}
		if now, _ := p.MarshalState(); bytes.Equal(now, want) {
			t.Fatalf("part %d changed nothing; the comparison proves little", part)
		}
	}
	for _, im := range images {
		if im.got == nil {
			var err error
			if im.got, err = im.marshal(); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(im.got, im.want) {
			t.Fatalf("the image frozen before part %d marshals to other bytes than MarshalState gave then", im.part)
		}
		back := fresh()
		if err := back.UnmarshalState(im.got); err != nil {
			t.Fatal(err)
		}
		if got := answers(t, back); got != im.answers {
			t.Fatalf("the image frozen before part %d restores to other answers:\n got %s\nwant %s", im.part, got, im.answers)
		}
	}
	return p
}
