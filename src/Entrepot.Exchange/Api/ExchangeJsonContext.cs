using System.Text.Json.Serialization;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Exchange.Api;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ExchangeConfig))]
[JsonSerializable(typeof(ReconcileView))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelEntry))]
[JsonSerializable(typeof(NewAccount))]
[JsonSerializable(typeof(AccountView))]
[JsonSerializable(typeof(List<AccountView>))]
[JsonSerializable(typeof(IssuedKey))]
[JsonSerializable(typeof(ProviderSpec))]
[JsonSerializable(typeof(List<ProviderStatus>))]
[JsonSerializable(typeof(ProviderStatus))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(IReadOnlyList<UsageRow>))]
[JsonSerializable(typeof(DeclarationPage))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(KeySetView))]
[JsonSerializable(typeof(BudgetSpec))]
[JsonSerializable(typeof(LimitsSpec))]
[JsonSerializable(typeof(BudgetView))]
[JsonSerializable(typeof(NetworkView))]
[JsonSerializable(typeof(CableCut))]
[JsonSerializable(typeof(RttView))]
[JsonSerializable(typeof(DashboardView))]
[JsonSerializable(typeof(Entrepot.Core.Statistics.TradeFlows))]
[JsonSerializable(typeof(DiversificationSpec))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(HeartbeatAck))]
[JsonSerializable(typeof(PriceIndexView))]
[JsonSerializable(typeof(DeadLetterPage))]
[JsonSerializable(typeof(ReplayView))]
[JsonSerializable(typeof(CheckpointPage))]
internal sealed partial class ExchangeJsonContext : JsonSerializerContext;
