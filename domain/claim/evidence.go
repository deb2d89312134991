package claim

import (
	"slices"
	"time"
	"unicode/utf8"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// EvidenceKind is the kind of a document a clerk received for a claim.
type EvidenceKind string

// The evidence kinds: the documents the payment kinds rest on.
const (
	LabourContract        EvidenceKind = "labour-contract"        // hires: expansion, absorption
	InsuranceRecord       EvidenceKind = "insurance-record"       // premiums paid, insured months
	TrainingCertificate   EvidenceKind = "training-certificate"   // vocational and skill certificates
	GraduationCertificate EvidenceKind = "graduation-certificate" // graduates: expansion, start-up
	HardshipCertification EvidenceKind = "hardship-certification" // 就业困难人员认定
	BusinessLicence       EvidenceKind = "business-licence"       // employers, providers, start-ups
	IdentityDocument      EvidenceKind = "identity-document"
	BankAccount           EvidenceKind = "bank-account"
	OtherEvidence         EvidenceKind = "other"
)

// evidenceKinds lists every evidence kind.
var evidenceKinds = []EvidenceKind{LabourContract, InsuranceRecord, TrainingCertificate, GraduationCertificate,
	HardshipCertification, BusinessLicence, IdentityDocument, BankAccount, OtherEvidence}

// Valid reports whether k is one of the evidence kinds.
func (k EvidenceKind) Valid() bool { return slices.Contains(evidenceKinds, k) }

// The limits of evidence text.
const (
	maxDocumentNo   = 64
	maxEvidenceNote = 500
)

// RecordEvidence records a document a clerk received for a claim under
// review. The ledger keeps the document's SHA-256 fingerprint, never the
// file, so a copy shown later can be checked against what was received.
type RecordEvidence struct {
	Kind       EvidenceKind
	DocumentNo string
	// Digest is the SHA-256 of the document file, 64 lower-case hex.
	Digest     string
	ReceivedOn calendar.Date
	Note       string
	Actor      string
	Role       string
	At         time.Time
}

// Evidence is a document recorded on a claim.
type Evidence struct {
	Kind       EvidenceKind  `json:"kind"`
	DocumentNo string        `json:"documentNo"`
	Digest     string        `json:"digest"`
	ReceivedOn calendar.Date `json:"receivedOn"`
	Note       string        `json:"note,omitempty"`
	By
}

// EvidenceRecorded records a document received for a claim.
type EvidenceRecorded struct {
	Evidence
}

// EventType implements domain.Event.
func (EvidenceRecorded) EventType() string { return "ClaimEvidenceRecorded" }

func (RecordEvidence) claimCommand() {}

func decideEvidence(s State, c RecordEvidence) ([]domain.Event, error) {
	if err := evidenceInput(c); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if c.ReceivedOn.After(calendar.FromTime(c.At)) {
		return nil, domain.Invalid("receivedOn", "not-in-future", "%s is after the day of the command, %s", c.ReceivedOn, calendar.FromTime(c.At))
	}
	// Evidence backs a decision not yet taken; an objection returns a
	// disclosed claim to checked, so new evidence is welcome again then.
	if err := in(s, "claim-before-decision", StatusSubmitted, StatusChecked); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(s.Evidence, func(e Evidence) bool { return e.Digest == c.Digest }) {
		return nil, domain.Reject("evidence-unique", "digest", "a document with this digest is already recorded on the claim")
	}
	return []domain.Event{&EvidenceRecorded{Evidence{Kind: c.Kind, DocumentNo: c.DocumentNo, Digest: c.Digest,
		ReceivedOn: c.ReceivedOn, Note: c.Note, By: By{c.Actor, c.Role, c.At}}}}, nil
}

// evidenceInput checks the command's own fields.
func evidenceInput(c RecordEvidence) error {
	switch {
	case c.Kind == "":
		return domain.Invalid("kind", "required", "the kind of document is missing")
	case !c.Kind.Valid():
		return domain.Invalid("kind", "evidence-kind", "%q is not an evidence kind", c.Kind)
	}
	if err := required("documentNo", c.DocumentNo, "the document number"); err != nil {
		return err
	}
	switch {
	case utf8.RuneCountInString(c.DocumentNo) > maxDocumentNo:
		return domain.Invalid("documentNo", "max-length", "a document number has at most %d characters", maxDocumentNo)
	case identity.MayHoldIDNumber(c.DocumentNo):
		// An identity document or bank card is named by the bureau's file
		// number, never by the ID or account number itself.
		return domain.Invalid("documentNo", "no-id-number", "a document number may not hold %d or more digits in a row: ID and account numbers stay out of the ledger", identity.MinIDNumberDigits)
	case c.Digest == "":
		return domain.Invalid("digest", "required", "the SHA-256 digest of the document is missing")
	case !isSHA256Hex(c.Digest):
		return domain.Invalid("digest", "sha256-hex", "a digest is the SHA-256 of the file as 64 lower-case hex digits")
	case c.ReceivedOn.IsZero():
		return domain.Invalid("receivedOn", "required", "the day the document was received is missing")
	case utf8.RuneCountInString(c.Note) > maxEvidenceNote:
		return domain.Invalid("note", "max-length", "a note has at most %d characters", maxEvidenceNote)
	case identity.MayHoldIDNumber(c.Note):
		// Never echo the note: it may hold a resident ID.
		return domain.Invalid("note", "no-id-number", "a note may not hold %d or more digits in a row: ID numbers stay out of the ledger", identity.MinIDNumberDigits)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
