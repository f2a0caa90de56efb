using System.Text.Json.Serialization;
using Entrepot.Core.Market;

namespace Entrepot.Storage;

[JsonSerializable(typeof(ProviderSpec))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
