using System.Globalization;
using System.Net;
using Entrepot.Core.Market;
using Candidate = Entrepot.Core.Routing.Candidate;
using Entrepot.Core.Trust;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// The request one attempt sends a seller: the body, the seller's own key, and the exchange's
/// headers, with the buyer known only by a pseudonym for that seller. An exporter node also gets the
/// sealed quote and the exchange's signature over the node, the body's hash and every Entrepot-*
/// header, so it can refuse anyone else, a changed header and a request played twice.
/// </summary>
internal sealed class SellerRequests(SigningKey exchangeKey, TimeProvider time)
{
    /// <summary>What the exchange's secrets for sealing quotes and naming buyers to sellers are derived under.</summary>
    public const string QuoteKeyLabel = "entrepot-quote-v1";
    public const string AliasKeyLabel = "entrepot-buyer-alias-v1";

    private readonly byte[] _quoteKey = exchangeKey.DeriveSecret(QuoteKeyLabel);
    private readonly byte[] _aliasKey = exchangeKey.DeriveSecret(AliasKeyLabel);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Seller, string Account), string> _aliases = new();

    /// <summary>The buyer's pseudonym at a seller (made once per pair).</summary>
    public string Alias(string seller, string account) =>
        _aliases.TryGetValue((seller, account), out var alias) ? alias : _aliases.GetOrAdd((seller, account), k => BuyerAlias.Of(_aliasKey, k.Seller, k.Account));

    /// <param name="requestSha256">The hash of the bytes in <paramref name="content"/>, as the signature and the receipt check use it.</param>
    /// <param name="url">A door's own URL at a seller that speaks it natively; null: the endpoint of the request's kind.</param>
    public HttpRequestMessage Build(TradePlan plan, Candidate candidate, int attempt, HttpContent content, string requestSha256, Uri? url = null)
    {
        var provider = candidate.Provider;
        var message = new HttpRequestMessage(HttpMethod.Post, url ?? provider.EndpointUrl(plan.Request.Kind)) { Content = content, Version = HttpVersion.Version11 };
        if (provider.ApiKey is { } apiKey)
        {
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        }

        if (url is not null && plan.DoorApi == "messages")
        {
            // An Anthropic-compatible server reads its key and the API version from these.
            message.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
            if (provider.ApiKey is { } key)
            {
                message.Headers.TryAddWithoutValidation("x-api-key", key);
            }
        }

        var alias = Alias(provider.Id, plan.Key.Account.Id);
        var attemptText = attempt.ToString(CultureInfo.InvariantCulture);
        var jurisdiction = plan.Key.Account.HomeJurisdiction;
        message.Headers.TryAddWithoutValidation("Entrepot-Request-Id", plan.RequestId);
        message.Headers.TryAddWithoutValidation("Entrepot-Buyer-Jurisdiction", jurisdiction);
        message.Headers.TryAddWithoutValidation("Entrepot-Buyer-Account", alias);
        message.Headers.TryAddWithoutValidation("Entrepot-Attempt", attemptText);
        if (provider.Kind != ProviderKind.Exporter)
        {
            return message;
        }

        // The quote, sealed: the only kind of receipt reconciliation will bill from this seller's log.
        var price = candidate.SpotPrice;
        var quote = new Quote(plan.RequestId, attempt, provider.Id, alias, price.InputPerMillion, price.OutputPerMillion, price.Currency,
            plan.MaxInput, plan.MaxOutput, time.GetUtcNow()).Seal(_quoteKey);
        message.Headers.TryAddWithoutValidation(Quote.Header, quote);
        message.Headers.TryAddWithoutValidation(RequestSignature.AudienceHeader, provider.Id);
        KeyValuePair<string, string>[] signed =
        [
            new("Entrepot-Request-Id", plan.RequestId),
            new("Entrepot-Buyer-Jurisdiction", jurisdiction),
            new("Entrepot-Buyer-Account", alias),
            new("Entrepot-Attempt", attemptText),
            new(Quote.Header, quote),
            new(RequestSignature.AudienceHeader, provider.Id),
        ];
        var (kid, ts, sig) = RequestSignature.Sign(exchangeKey, "POST", message.RequestUri!.PathAndQuery, provider.Id, time.GetUtcNow(),
            plan.RequestId, requestSha256, signed);
        message.Headers.TryAddWithoutValidation(RequestSignature.KeyHeader, kid);
        message.Headers.TryAddWithoutValidation(RequestSignature.TimestampHeader, ts);
        message.Headers.TryAddWithoutValidation(RequestSignature.SignatureHeader, sig);
        return message;
    }
}
