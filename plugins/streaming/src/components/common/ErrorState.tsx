import { ResponseErrorPanel, WarningPanel } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Typography from '@material-ui/core/Typography';

/**
 * Turns a backend error into what to do about it. The backend's messages
 * already name the annotation, the bad value and the valid ones; this adds
 * who can fix it.
 */
export function ErrorState({ error, what }: { error: Error; what: string }) {
  const status =
    error instanceof ResponseError ? error.response.status : undefined;
  const message =
    error instanceof ResponseError ? error.body.error.message : error.message;
  let title: string;
  let hint: string;
  switch (status) {
    case 400:
      title = `The entity's ${what} annotations cannot be used`;
      hint =
        'Fix the annotation in catalog-info.yaml, or add the cluster or database to app-config.';
      break;
    case 401:
    case 403: {
      // The backend names the permission, and the owner group when the caller may see it.
      const permission = /permission (\S+) denied/.exec(message)?.[1];
      const owner = /ask an owner of (\S+?)[;,.]? /.exec(`${message} `)?.[1];
      title = `You may not read ${what} data for this entity`;
      hint = `You need the ${
        permission ?? `${what} read`
      } permission on this entity; ${
        owner
          ? `ask an owner of ${owner} to add you to that group, or a portal admin.`
          : 'ask an owner of this entity, or a portal admin.'
      }`;
      break;
    }
    case 404:
      title = 'Entity not found by the streaming backend';
      hint =
        'The catalog may not have processed this entity yet; refresh it and try again.';
      break;
    default:
      if (status !== undefined && status < 500)
        return <ResponseErrorPanel error={error} />;
      title = `The streaming backend cannot read ${what} right now`;
      hint =
        'Check that the streaming backend plugin is installed and its clusters and databases are reachable.';
  }
  return (
    <WarningPanel severity="error" title={title} defaultExpanded>
      <Typography variant="body2" gutterBottom>
        {message}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {hint}
      </Typography>
    </WarningPanel>
  );
}
