// Package billing is a small example of tasks declared with //tenant:task.
package billing

import (
	"context"
	"fmt"
	"time"
)

// InvoiceArgs are the arguments of SendInvoice.
type InvoiceArgs struct {
	InvoiceID string    `json:"invoice_id"`
	Email     string    `json:"email"`
	DueAt     time.Time `json:"due_at"`
}

// SendInvoice emails an invoice to the current tenant's customer. It reads
// through the replica and records the sending on the primary.
//
//tenant:task cache=30s dbs=default,replica queue=billing retries=5 timeout=2m
func SendInvoice(ctx context.Context, args InvoiceArgs) error {
	if args.InvoiceID == "" {
		return fmt.Errorf("send invoice: empty invoice ID")
	}
	return nil
}

// ChargeCard charges a customer's card, once per customer and amount within
// an hour however often it is enqueued.
//
//tenant:task unique=1h retries=3
func ChargeCard(ctx context.Context, customerID string, cents int64) error {
	if cents <= 0 {
		return fmt.Errorf("charge card of customer %q: amount %d is not positive", customerID, cents)
	}
	return nil
}

// RefreshRates refreshes the currency rates shared by all tenants.
//
//tenant:task public timeout=30s
func RefreshRates(ctx context.Context) error {
	return nil
}
