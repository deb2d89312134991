package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/persondata"
)

// Personal data (design invariant 13): a clerk registers a person's
// identity, which is sealed under the person's own key in the data
// directory's persondata.db and never enters the log; the entitled roles
// reveal it, each reveal recorded in the log first; an administrator
// erases it by destroying the key, the erasure recorded in the log first.
// The request and access logs never hold a body (observe), so the
// plaintext sent or revealed here reaches no log.

// PersonRequest registers a person's identity: the resident ID and,
// optionally, the name.
type PersonRequest struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name,omitempty"`
}

// PersonView is what registering answers: the keyed reference that
// claims, hires and trainees name the person by, and the masked resident
// ID a disclosure may publish. Never the identity itself.
type PersonView struct {
	Person identity.PersonRef `json:"person"`
	Masked string             `json:"masked"`
}

// RevealRequest says why the caller needs to see a person's identity. The
// reason is recorded in the log, so it must not itself hold an ID number.
type RevealRequest struct {
	Reason string `json:"reason"`
}

// RevealedPerson is a person's plaintext identity, as a reveal answers
// it. Responses carrying it are marked Cache-Control: no-store.
type RevealedPerson struct {
	Person     identity.PersonRef `json:"person"`
	ResidentID string             `json:"residentId"`
	Masked     string             `json:"masked"`
	Name       string             `json:"name,omitempty"`
}

// ErasureRequest says why a person's identity is erased, e.g. the
// deletion request or the end of the retention period. The reason is
// recorded in the log, so it must not itself hold an ID number.
type ErasureRequest struct {
	Reason string `json:"reason"`
}

// ErasureView answers an erasure.
type ErasureView struct {
	Person identity.PersonRef `json:"person"`
	Erased bool               `json:"erased"`
}

// registerPerson seals a person's identity and answers with the reference.
// Registering again with a name corrects it; without one keeps it. Nothing
// is appended to the log, so a retry is harmless and the Idempotency-Key
// header is only checked.
func (s *server) registerPerson(c echo.Context) error {
	var in PersonRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := s.begin(c); err != nil {
		return err
	}
	people, err := s.people()
	if err != nil {
		return err
	}
	if in.ResidentID == "" {
		return domain.Invalid("residentId", "required", "the resident ID is missing")
	}
	id, err := identity.ParseResidentID("residentId", in.ResidentID)
	if err != nil {
		return err
	}
	ref, _, err := people.Register(c.Request().Context(), id, in.Name)
	if err != nil {
		return erasedProblem(err)
	}
	// No Location: a person is never read back by reference; only a
	// recorded reveal shows the identity.
	return writeJSON(c, http.StatusCreated, PersonView{Person: ref, Masked: id.Masked()})
}

// revealPerson records who asked to see a person's identity and why
// (IdentityRevealed in the person's reveal stream), then answers with the
// identity, marked not to be stored by any cache.
func (s *server) revealPerson(c echo.Context) error {
	var in RevealRequest
	ref, r, people, err := s.personAct(c, &in, false)
	if err != nil {
		return err
	}
	cmd := persondata.Reveal{Person: ref, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	who, err := people.Reveal(c.Request().Context(), s.svc, cmd, r.env("reveal", "RevealIdentity", calendar.Date{}, in))
	if err != nil {
		return personProblem(err, "person")
	}
	if err := s.syncHead(c.Request().Context(), 0); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("Pragma", "no-cache")
	return writeJSON(c, http.StatusOK, RevealedPerson{Person: ref, ResidentID: who.ResidentID.Plain(), Masked: who.ResidentID.Masked(), Name: who.Name})
}

// erasePerson records who erased a person's identity and why
// (IdentityErased in the person's erasure stream), then destroys the
// person's key and sealed identity: the log keeps the reference and the
// derived facts, which no longer lead to anyone, and still verifies. A
// reason is required. Erasing twice is not an error and records nothing
// more; a retry after a failure completes the destruction.
func (s *server) erasePerson(c echo.Context) error {
	var in ErasureRequest
	ref, r, people, err := s.personAct(c, &in, true)
	if err != nil {
		return err
	}
	cmd := persondata.Erase{Person: ref, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if err := people.Erase(c.Request().Context(), s.svc, cmd, r.env("erase", "EraseIdentity", calendar.Date{}, in)); err != nil {
		return personProblem(err, "person")
	}
	if err := s.syncHead(c.Request().Context(), 0); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, ErasureView{Person: ref, Erased: true})
}

// personAct starts a request that acts on the person the path names:
// the reference, the body decoded into in (which may be absent when
// optional), the request and the person register.
func (s *server) personAct(c echo.Context, in any, optional bool) (identity.PersonRef, *request, *ledger.People, error) {
	ref, err := personParam(c)
	if err != nil {
		return "", nil, nil, err
	}
	if err := decodeMaybe(c, in, optional); err != nil {
		return "", nil, nil, err
	}
	r, err := s.begin(c)
	if err != nil {
		return "", nil, nil, err
	}
	people, err := s.people()
	if err != nil {
		return "", nil, nil, err
	}
	return ref, r, people, nil
}

// personParam is the person reference of the path.
func personParam(c echo.Context) (identity.PersonRef, error) {
	ref, err := identity.ParsePersonRef("person", c.Param("person"))
	if err != nil {
		return "", errParam("person", "person-ref", "the person is named by the 64 hex digits of the reference registering answered")
	}
	return ref, nil
}

// people is the data directory's person register, keyed by the secret
// that turns clerks' resident IDs into references (Config.Persons), so a
// registered person and the claims about them share one reference. It is
// opened on first use (datadir.Ledger.People) and closed with the ledger.
// A server without the secret keeps no personal data.
func (s *server) people() (*ledger.People, error) {
	if s.cfg.Persons == nil {
		return nil, newProblem("resident-id-not-accepted", "residentId", "ledger-secret", "this server has no ledger secret, so it keeps no personal data")
	}
	return s.l.People(*s.cfg.Persons)
}

// erasedProblem refuses to register, or file a claim about, a person
// whose identity was erased: the same resident ID gives the same
// reference, whose key is gone for good.
func erasedProblem(err error) error {
	if errors.Is(err, persondata.ErrErased) {
		return domain.Reject("person-erased", "residentId", "this person's identity was erased and cannot be registered again")
	}
	return err
}

// personProblem classifies the key store's errors on reading or erasing
// a person: an erased person is gone for good, an unknown one was never
// registered. field names the input that led to the person.
func personProblem(err error, field string) error {
	switch {
	case errors.Is(err, persondata.ErrErased):
		return newProblem("not-found", field, "erased", "this person's identity was erased; it can be neither revealed nor registered again")
	case errors.Is(err, persondata.ErrUnknownPerson), errors.Is(err, persondata.ErrNoIdentity):
		return errNotFound(field, "no identity is registered for this person")
	}
	return err
}
