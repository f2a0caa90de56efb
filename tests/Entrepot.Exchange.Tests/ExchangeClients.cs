using System.Net.Http.Headers;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

/// <summary>An HTTP client for a test's exchange, with a buyer's or the admin's key.</summary>
internal static class ExchangeClients
{
    public static HttpClient Client(this ExchangeHost host, string key, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = host.BaseUrl };
        if (timeout is { } t)
        {
            http.Timeout = t;
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
