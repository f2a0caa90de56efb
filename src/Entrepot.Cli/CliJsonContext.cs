using System.Text.Json.Serialization;
using Entrepot.Cli.Demo;

namespace Entrepot.Cli;

[JsonSerializable(typeof(DemoMarketData))]
[JsonSerializable(typeof(Entrepot.Core.Statistics.TradeFlows))]
[JsonSerializable(typeof(Entrepot.Exchange.Api.RttView))]
[JsonSerializable(typeof(Entrepot.Exchange.Api.NetworkView))]
[JsonSerializable(typeof(Entrepot.Exchange.Api.CableCut))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
