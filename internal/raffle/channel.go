package raffle

import (
	"strconv"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// channelPosts is the channel's post of a draw event (CHANNEL_ID): a new draw with its rules,
// a closing with the list hash and the drand round or Random.org ticket that will decide it,
// a result with the winners and the proof link. It goes through the same durable, paced queue
// as every message (the limiter spaces posts to a channel by the group rate), after the
// personal messages, and once per event: the job is unique by event and chat.
func (s *Service) channelPosts(d Draw, event, eventKey string) []notify.Message {
	if s.channelID == 0 {
		return nil
	}
	args := map[string]i18n.Arg{"id": i18n.I(d.ID), "title": i18n.S(d.Title), "url": i18n.S(s.proofURL(d.ID))}
	var key string
	switch event {
	case FanoutOpened:
		key = "channel.opened"
		args["fee"] = i18n.M(d.Fee, d.Currency)
		args["commission"] = i18n.S(percent(d.CommissionBP))
		args["winners"] = i18n.I(int64(d.WinnersCount))
		args["min"] = i18n.I(int64(d.Min))
		args["deadline"] = i18n.At(d.Deadline)
	case FanoutClosed:
		args["participants"] = i18n.N(int64(d.Entries), "participants")
		args["hash"] = i18n.S(d.ListHash)
		if d.Source == SourceDrand {
			key = "channel.closed_drand"
			args["round"] = i18n.I(int64(d.DrandRound))
		} else {
			key = "channel.closed_randomorg"
			args["ticket"] = i18n.S(d.TicketID)
		}
	case FanoutResult:
		key = "channel.result"
		codes := ""
		for i, w := range d.Winners {
			if i > 0 {
				codes += ", "
			}
			codes += w.EntryCode
		}
		args["participants"] = i18n.N(int64(d.Entries), "participants")
		args["pool"] = i18n.M(d.Pool, d.Currency)
		args["codes"] = i18n.S(codes)
	default:
		return nil
	}
	return []notify.Message{{EventKey: eventKey + ":channel", ChatID: s.channelID, Key: key, Args: args, Priority: notify.PriorityObserver}}
}

// percent writes basis points as a percentage: 1000 -> "10", 250 -> "2.5".
func percent(bp int) string { return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) }
