package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// feedTrainees applies evs to p, each in the stream the event names.
func feedTrainees(t *testing.T, p *Performance, evs ...struct {
	stream string
	ev     domain.Event
}) {
	t.Helper()
	for i, x := range evs {
		env := &eventstore.Event{Stream: x.stream, Type: x.ev.EventType(), Position: uint64(i + 1), RecordedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
		if err := p.Apply(x.ev, env); err != nil {
			t.Fatal(err)
		}
	}
}

// traineeCounts is "certified/within/late" of one programme × county ×
// period ("" for every programme).
func traineeCounts(t *testing.T, p *Performance, period string, prog programme.Code, county region.Code) string {
	t.Helper()
	r, err := p.Total(PerformanceFilter{Period: period, Programme: prog, County: county})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%d/%d", r.TraineesCertified, r.TraineesPlacedWithin, r.TraineesPlacedLate)
}

// TestTraineesCountInTheirCertificationCounty: a certification that names
// its county and programme counts there, and a placement by an employer
// in another county does not move it; an older certification without a
// county counts under the prefecture until placed, then in the placing
// employer's county, as before. The state survives a snapshot.
func TestTraineesCountInTheirCertificationCounty(t *testing.T) {
	type step = struct {
		stream string
		ev     domain.Event
	}
	const golmudUnit, delinghaUnit = "91632801MA0000001X", "91632802MA0000002X"
	on := calendar.MustParse("2025-02-10")
	placed := &trainee.Placed{Employer: golmudUnit, On: calendar.MustParse("2025-05-01"), WindowMonths: 6, WithinWindow: true}
	p := NewPerformance()
	feedTrainees(t, p,
		step{employer.Stream(golmudUnit), &employer.Registered{CreditCode: golmudUnit, Region: string(region.Golmud)}},
		step{employer.Stream(delinghaUnit), &employer.Registered{CreditCode: delinghaUnit, Region: string(region.Delingha)}},
		// Trained in Ulan, employed in Golmud.
		step{trainee.Stream("a"), &trainee.Certified{TraineeID: "a", County: region.Ulan, Programme: programme.VocationalTraining, On: on}},
		step{trainee.Stream("a"), placed},
		// A skill-upgrade certificate in Delingha, not placed.
		step{trainee.Stream("b"), &trainee.Certified{TraineeID: "b", County: region.Delingha, Programme: programme.SkillUpgrade, On: on}},
		// Recorded before certifications named a county.
		step{trainee.Stream("c"), &trainee.Certified{TraineeID: "c", On: on}},
		// Named, then restored from a snapshot before its placement.
		step{trainee.Stream("d"), &trainee.Certified{TraineeID: "d", County: region.Dulan, Programme: programme.VocationalTraining, On: on}},
	)
	type cell struct {
		prog   programme.Code
		county region.Code
	}
	want := map[cell]string{
		{programme.VocationalTraining, region.Ulan}:     "1/1/0",
		{programme.VocationalTraining, region.Golmud}:   "0/0/0",
		{programme.SkillUpgrade, region.Delingha}:       "1/0/0",
		{programme.VocationalTraining, region.Haixi}:    "1/0/0",
		{programme.VocationalTraining, region.Delingha}: "0/0/0",
		{programme.VocationalTraining, region.Dulan}:    "1/0/0",
	}
	check := func(when string) {
		t.Helper()
		for c, w := range want {
			if got := traineeCounts(t, p, "2025-02", c.prog, c.county); got != w {
				t.Errorf("%s: %s in %s certified/within/late %s, want %s", when, c.prog, c.county, got, w)
			}
		}
	}
	check("certified")

	data, err := p.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	p = NewPerformance()
	if err := p.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	late := &trainee.Placed{Employer: delinghaUnit, On: calendar.MustParse("2025-09-01"), WindowMonths: 6}
	feedTrainees(t, p,
		step{trainee.Stream("c"), &trainee.Placed{Employer: delinghaUnit, On: calendar.MustParse("2025-04-01"), WindowMonths: 6, WithinWindow: true}},
		step{trainee.Stream("d"), late},
	)
	want[cell{programme.VocationalTraining, region.Haixi}] = "0/0/0"
	want[cell{programme.VocationalTraining, region.Delingha}] = "1/1/0"
	want[cell{programme.VocationalTraining, region.Dulan}] = "1/0/1"
	check("placed after a snapshot")
	if got := traineeCounts(t, p, "2025", "", region.Golmud); got != "0/0/0" {
		t.Errorf("Golmud, every programme: %s, want no trainee (the Ulan trainee only works there)", got)
	}
}
