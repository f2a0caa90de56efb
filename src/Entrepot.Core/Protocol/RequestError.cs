namespace Entrepot.Core.Protocol;

/// <summary>A problem with the buyer's request, reported in the OpenAI error shape with the field named.</summary>
public sealed record RequestError(string Message, string? Param, string Code = "invalid_request", string Type = "invalid_request_error");
