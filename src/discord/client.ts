import { Client, GatewayIntentBits, Options, REST, type ClientOptions } from 'discord.js';
import type { Config } from '../config.js';
import { createDiscordTransport, type DiscordDispatchers } from './rest-transport.js';

/** How the bot's discord.js client is made (exported so that tests make theirs the same way). */
export function discordClientOptions(config: Config, dispatchers: DiscordDispatchers): ClientOptions {
	return {
		// No privileged intents: slash commands arrive as interactions and need none.
		intents: [GatewayIntentBits.Guilds],
		// Every interaction carries its member, user and message: kept in the cache they would only add up, one per
		// member who ever used the bot, for as long as it runs. The bot's own user and member stay.
		makeCache: Options.cacheWithLimits({
			...Options.DefaultMakeCacheSettings,
			MessageManager: 0,
			UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user?.id },
			GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user?.id },
		}),
		rest: { makeRequest: createDiscordTransport(dispatchers), ...(config.discord.apiUrl ? { api: config.discord.apiUrl } : {}) },
		// Discord sends each server's events and interactions to one shard ((guild_id >> 22) % shard_count): processes
		// on several machines split the gateway this way. Delivering needs only REST, so any process finishes any job.
		...(config.sharding ? { shards: [...config.sharding.shardIds], shardCount: config.sharding.shardCount } : { shards: 'auto' as const }),
	};
}

export function createDiscordClient(config: Config, dispatchers: DiscordDispatchers): Client {
	return new Client(discordClientOptions(config, dispatchers));
}

/**
 * For interaction-token routes (reply edits): the same transport and per-route limits as the client's, without the
 * global 50/s budget that Discord doesn't apply to interaction endpoints (see DeliveryOptions.interactionRest).
 */
export function interactionRestFor(client: Client): REST {
	return new REST({ ...client.rest.options, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
}
