package main

import (
	"context"
	"log/slog"

	"contactbot/bot"
	"contactbot/bot/socket"
	"contactbot/config"
)

// runSocketMode serves Slack over Socket Mode until ctx is done.
func runSocketMode(ctx context.Context, b *bot.Bot, cfg *config.Config, log *slog.Logger) error {
	return socket.Run(ctx, b, socket.Options{AppToken: cfg.SlackAppToken, BotToken: cfg.SlackBotToken, APIURL: cfg.SlackAPIURL, Log: log})
}
