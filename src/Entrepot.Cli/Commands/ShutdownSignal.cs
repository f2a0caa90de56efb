using System.Runtime.InteropServices;

namespace Entrepot.Cli.Commands;

/// <summary>
/// Ctrl-C, SIGINT and SIGTERM, caught from the moment this is made: a command makes it before it
/// starts its hosts and waits on it once they serve. Registered only after "ready", a signal in the
/// moment between went to the hosts' own console handlers alone, which stopped their servers while
/// the command went on waiting (a demo stopped with Ctrl-C right after "ready" hung in one run of
/// two). A signal during the start is kept: the wait then returns at once.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public ShutdownSignal()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we shut down ourselves, in order
        _stop.Cancel();
    }

    /// <summary>Returns once a signal came (or came already), or <paramref name="ct"/> is cancelled.</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
