import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';

/** A labelled headline number of a card, with an optional detail line or adornment. */
export function Figure({
  label,
  value,
  detail,
  children,
}: {
  label: string;
  value: string;
  detail?: string;
  children?: React.ReactNode;
}) {
  return (
    <Box mr={4} mb={1}>
      <Typography variant="overline" color="textSecondary">
        {label}
      </Typography>
      <Box display="flex" alignItems="center">
        <Typography variant="h6">{value}</Typography>
        {children}
      </Box>
      {detail && (
        <Typography variant="caption" color="textSecondary">
          {detail}
        </Typography>
      )}
    </Box>
  );
}
