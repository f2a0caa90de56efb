using System.CommandLine;
using Entrepot.Cli.Commands;

// Socket completions run inline on the I/O thread instead of hopping to the thread pool: on two
// cores this halves the exchange's CPU per request (see docs/PERFORMANCE.md). Read by the runtime
// when the first socket is created, so it is set before anything else.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var root = new RootCommand("Entrepot: a self-hostable exchange for cross-border AI inference.")
{
    ExchangeCommand.Create(),
    ExporterCommand.Create(),
    DemoCommand.Create(),
    ScanCommand.Create(),
    PolicyCommand.Create(),
    ReceiptCommand.Create(),
    LedgerCommand.Create(),
    ReportCommand.Create(),
    TlsCommand.Create(),
    NetworkCommand.Create(),
};
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
